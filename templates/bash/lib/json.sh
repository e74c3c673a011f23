# JSON for bash, without jq: a string quoter for the answers the plugin prints and a small
# reader for the answers your API sends back. Pure bash (4.2+), byte-wise (LC_ALL=C), so it
# works the same under any locale; UTF-8 text passes through untouched.
#
#   json_quote "$s"        sets REPLY to "$s" as a JSON string literal, quotes included
#   json_str "$s"          prints the same literal (no newline)
#   json_parse "$text"     reads a JSON document into the associative arrays JSON (values) and
#                          JSON_T (types); paths are dot-separated: JSON[plans.0.id], the root
#                          is ".", JSON_T[plans]=array, JSON[plans]=its length (number of items)
#                          Returns 1 (and sets JSON_ERROR) on malformed input; documents up to
#                          1 MiB (about 1 s per 100 KB: pure bash is slow, keep answers small).

# Escapes ", \ and every control character (U+0001..U+001F) the JSON grammar forbids raw.
# Bash strings cannot hold NUL, so there is none to escape.
json_quote() {
	local LC_ALL=C
	local s=$1 i c h
	s=${s//\\/\\\\}
	s=${s//\"/\\\"}
	s=${s//$'\n'/\\n}
	s=${s//$'\r'/\\r}
	s=${s//$'\t'/\\t}
	s=${s//$'\b'/\\b}
	s=${s//$'\f'/\\f}
	if [[ $s == *[$'\001'-$'\037']* ]]; then
		for ((i = 1; i < 32; i++)); do
			printf -v h '%02x' "$i"
			printf -v c "\\x$h"
			[[ $s == *"$c"* ]] && s=${s//"$c"/\\u00$h}
		done
	fi
	REPLY="\"$s\""
}

json_str() {
	json_quote "$1"
	printf '%s' "$REPLY"
}

# ---------------------------------------------------------------------------------------
# Reader. Flattens a document into JSON/JSON_T; enough for the API answers a plugin reads
# (objects, arrays, strings with every escape incl. surrogate pairs, numbers, literals).
# Keys containing "." cannot be told apart from nesting: keep such keys out of your API.

declare -gA JSON=() JSON_T=()
JSON_ERROR=

# The reader looks at the document through a small window (_W, starting at offset _P of _J)
# so that every step works on a few KB, not on the whole rest of the document.
json_parse() {
	local LC_ALL=C
	JSON=() JSON_T=() JSON_ERROR=
	_J=$1 _P=0 _W=
	_JLEN=${#_J}
	if ((_JLEN > 1048576)); then JSON_ERROR='document over 1 MiB'; return 1; fi
	_jp_fill
	_jp_value '' 0 || return 1
	_jp_ws
	if [[ -n $_W ]]; then JSON_ERROR="unexpected text after the document: ${_W:0:20}"; return 1; fi
	return 0
}

# _jp_fill [SIZE]: reload the window from the current offset.
_jp_fill() { _W=${_J:_P:${1:-4096}}; }

# _jp_eat N: consume N characters.
_jp_eat() {
	_P=$((_P + $1))
	_W=${_W:$1}
	((${#_W} < 512 && _P + ${#_W} < _JLEN)) && _jp_fill
	return 0
}

_jp_ws() {
	local re=$'^[ \t\r\n]+'
	while [[ $_W =~ $re ]]; do
		_jp_eat ${#BASH_REMATCH[0]}
	done
	return 0
}

_jp_value() { # PATH DEPTH
	local path=$1 depth=$2 re n key self=${1:-.}
	if ((depth > 64)); then JSON_ERROR='nested too deeply'; return 1; fi
	_jp_ws
	case ${_W:0:1} in
	'{')
		_jp_eat 1; JSON_T[$self]=object; n=0
		_jp_ws
		if [[ ${_W:0:1} == '}' ]]; then _jp_eat 1; JSON[$self]=0; return 0; fi
		while :; do
			_jp_ws
			_jp_string || { JSON_ERROR=${JSON_ERROR:-expected a key string}; return 1; }
			key=$REPLY
			_jp_ws
			if [[ ${_W:0:1} != ':' ]]; then JSON_ERROR="expected : after key $key"; return 1; fi
			_jp_eat 1
			_jp_value "${path:+$path.}$key" $((depth + 1)) || return 1
			n=$((n + 1))
			_jp_ws
			case ${_W:0:1} in
			,) _jp_eat 1 ;;
			'}') _jp_eat 1; JSON[$self]=$n; return 0 ;;
			*) JSON_ERROR="expected , or } in object ${path:-(root)}"; return 1 ;;
			esac
		done
		;;
	'[')
		_jp_eat 1; JSON_T[$self]=array; n=0
		_jp_ws
		if [[ ${_W:0:1} == ']' ]]; then _jp_eat 1; JSON[$self]=0; return 0; fi
		while :; do
			_jp_value "${path:+$path.}$n" $((depth + 1)) || return 1
			n=$((n + 1))
			_jp_ws
			case ${_W:0:1} in
			,) _jp_eat 1 ;;
			']') _jp_eat 1; JSON[$self]=$n; return 0 ;;
			*) JSON_ERROR="expected , or ] in array ${path:-(root)}"; return 1 ;;
			esac
		done
		;;
	'"')
		_jp_string || return 1
		JSON[$self]=$REPLY; JSON_T[$self]=string
		;;
	t | f | n)
		re='^(true|false|null)'
		if [[ $_W =~ $re ]]; then
			JSON[$self]=${BASH_REMATCH[1]}
			if [[ ${BASH_REMATCH[1]} == null ]]; then JSON_T[$self]=null; else JSON_T[$self]=bool; fi
			_jp_eat ${#BASH_REMATCH[0]}
		else
			JSON_ERROR="unexpected text: ${_W:0:20}"; return 1
		fi
		;;
	*)
		re='^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?'
		if [[ -n $_W && $_W =~ $re ]]; then
			JSON[$self]=${BASH_REMATCH[0]}; JSON_T[$self]=number
			_jp_eat ${#BASH_REMATCH[0]}
		else
			JSON_ERROR="unexpected ${_W:+text: ${_W:0:20}}${_W:-end of document}"; return 1
		fi
		;;
	esac
	return 0
}

# Reads a string literal at the start of the window into REPLY (decoded); a string longer than
# the window widens it.
_jp_string() {
	local re='^"(([^"\\]|\\.)*)"' raw size=4096
	[[ ${_W:0:1} == '"' ]] || { JSON_ERROR="expected a string: ${_W:0:20}"; return 1; }
	until [[ $_W =~ $re ]]; do
		if ((_P + ${#_W} >= _JLEN)); then JSON_ERROR='unterminated string'; return 1; fi
		size=$((size * 4))
		_jp_fill "$size"
	done
	raw=${BASH_REMATCH[1]}
	_jp_eat ${#BASH_REMATCH[0]}
	((${#_W} > 8192)) && _jp_fill # back to a small window after a long string
	_jp_unescape "$raw"
}

_jp_unescape() {
	local s=$1 out i n part c hex cp lo parts=()
	if [[ $s != *\\* ]]; then REPLY=$s; return 0; fi
	if [[ $s == *[$'\001'-$'\037']* ]]; then JSON_ERROR='raw control character in a string'; return 1; fi
	# Linear in the string's length: escaped backslashes become \001 (free: raw controls were
	# refused), then the string is split once at every other backslash, each piece starting
	# with its escape letter.
	s=${s//\\\\/$'\001'}
	IFS='\' read -r -d '' -a parts <<<"$s"
	n=${#parts[@]}
	parts[n - 1]=${parts[n - 1]%$'\n'} # the here-string's newline
	# Literal pieces get their backslashes back here; decoded escapes (even \u0001) never do.
	local bs='\'
	part=${parts[0]}
	out=${part//$'\001'/$bs}
	for ((i = 1; i < n; i++)); do
		part=${parts[i]//$'\001'/$bs}
		c=${part:0:1}
		case $c in
		'"' | /) out+=$c${part:1} ;;
		b) out+=$'\b'${part:1} ;;
		f) out+=$'\f'${part:1} ;;
		n) out+=$'\n'${part:1} ;;
		r) out+=$'\r'${part:1} ;;
		t) out+=$'\t'${part:1} ;;
		u)
			hex=${part:1:4}
			[[ $hex =~ ^[0-9A-Fa-f]{4}$ ]] || { JSON_ERROR="bad \\u escape: \\u$hex"; return 1; }
			cp=$((16#$hex))
			if ((cp >= 0xD800 && cp <= 0xDBFF)) && ((${#part} == 5 && i + 1 < n)) && [[ ${parts[i + 1]} =~ ^u[dD][c-fC-F][0-9A-Fa-f]{2} ]]; then
				i=$((i + 1))
				part=${parts[i]//$'\001'/$bs}
				lo=$((16#${part:1:4}))
				cp=$((0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00)))
			elif ((cp >= 0xD800 && cp <= 0xDFFF)); then
				cp=0xFFFD # a lone surrogate has no UTF-8 form
			fi
			if ((cp == 0)); then JSON_ERROR='\u0000 cannot be held in a bash string'; return 1; fi
			_jp_utf8 "$cp"
			out+=$REPLY${part:5}
			;;
		*) JSON_ERROR="bad escape \\${c:-(end)}"; return 1 ;;
		esac
	done
	REPLY=$out
}

# Code point -> its UTF-8 bytes in REPLY.
_jp_utf8() {
	local c=$1 fmt
	if ((c < 0x80)); then
		printf -v fmt '\\x%02x' "$c"
	elif ((c < 0x800)); then
		printf -v fmt '\\x%02x\\x%02x' $((0xC0 | c >> 6)) $((0x80 | (c & 0x3F)))
	elif ((c < 0x10000)); then
		printf -v fmt '\\x%02x\\x%02x\\x%02x' $((0xE0 | c >> 12)) $((0x80 | (c >> 6 & 0x3F))) $((0x80 | (c & 0x3F)))
	else
		printf -v fmt '\\x%02x\\x%02x\\x%02x\\x%02x' $((0xF0 | c >> 18)) $((0x80 | (c >> 12 & 0x3F))) $((0x80 | (c >> 6 & 0x3F))) $((0x80 | (c & 0x3F)))
	fi
	printf -v REPLY "$fmt"
}
