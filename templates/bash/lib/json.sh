# JSON for bash, without jq: a string quoter for the answers the plugin prints and a small
# reader for the answers your API sends back. Pure bash (4.2+), byte-wise (LC_ALL=C), so it
# works the same under any locale; UTF-8 text passes through untouched.
#
#   json_quote "$s"        sets REPLY to "$s" as a JSON string literal, quotes included
#   json_str "$s"          prints the same literal (no newline)
#   json_parse "$text"     reads a JSON document into the associative arrays JSON (values) and
#                          JSON_T (types); paths are dot-separated: JSON[plans.0.id], the root
#                          is ".", JSON_T[plans]=array, JSON[plans]=its length (number of items)
#                          Returns 1 (and sets JSON_ERROR) on malformed input. Made for API
#                          answers of a few KB (100 plans: 0.1 s); time grows with the square of
#                          the size, so page or filter big lists on the API side.

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

json_parse() {
	local LC_ALL=C
	JSON=() JSON_T=() JSON_ERROR=
	_J=$1
	if ((${#_J} > 1048576)); then JSON_ERROR='document over 1 MiB'; return 1; fi
	_jp_value '' 0 || return 1
	_jp_ws
	if [[ -n $_J ]]; then JSON_ERROR="unexpected text after the document: ${_J:0:20}"; return 1; fi
	return 0
}

_jp_ws() {
	local re=$'^[ \t\r\n]+'
	[[ $_J =~ $re ]] && _J=${_J:${#BASH_REMATCH[0]}}
	return 0
}

_jp_value() { # PATH DEPTH
	local path=$1 depth=$2 re n key self=${1:-.}
	if ((depth > 64)); then JSON_ERROR='nested too deeply'; return 1; fi
	_jp_ws
	case ${_J:0:1} in
	'{')
		_J=${_J:1}; JSON_T[$self]=object; n=0
		_jp_ws
		if [[ ${_J:0:1} == '}' ]]; then _J=${_J:1}; JSON[$self]=0; return 0; fi
		while :; do
			_jp_ws
			_jp_string || { JSON_ERROR=${JSON_ERROR:-expected a key string}; return 1; }
			key=$REPLY
			_jp_ws
			if [[ ${_J:0:1} != ':' ]]; then JSON_ERROR="expected : after key $key"; return 1; fi
			_J=${_J:1}
			_jp_value "${path:+$path.}$key" $((depth + 1)) || return 1
			n=$((n + 1))
			_jp_ws
			case ${_J:0:1} in
			,) _J=${_J:1} ;;
			'}') _J=${_J:1}; JSON[$self]=$n; return 0 ;;
			*) JSON_ERROR="expected , or } in object ${path:-(root)}"; return 1 ;;
			esac
		done
		;;
	'[')
		_J=${_J:1}; JSON_T[$self]=array; n=0
		_jp_ws
		if [[ ${_J:0:1} == ']' ]]; then _J=${_J:1}; JSON[$self]=0; return 0; fi
		while :; do
			_jp_value "${path:+$path.}$n" $((depth + 1)) || return 1
			n=$((n + 1))
			_jp_ws
			case ${_J:0:1} in
			,) _J=${_J:1} ;;
			']') _J=${_J:1}; JSON[$self]=$n; return 0 ;;
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
		if [[ $_J =~ $re ]]; then
			JSON[$self]=${BASH_REMATCH[1]}
			if [[ ${BASH_REMATCH[1]} == null ]]; then JSON_T[$self]=null; else JSON_T[$self]=bool; fi
			_J=${_J:${#BASH_REMATCH[0]}}
		else
			JSON_ERROR="unexpected text: ${_J:0:20}"; return 1
		fi
		;;
	*)
		re='^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?'
		if [[ -n $_J && $_J =~ $re ]]; then
			JSON[$self]=${BASH_REMATCH[0]}; JSON_T[$self]=number
			_J=${_J:${#BASH_REMATCH[0]}}
		else
			JSON_ERROR="unexpected ${_J:+text: ${_J:0:20}}${_J:-end of document}"; return 1
		fi
		;;
	esac
	return 0
}

# Reads a string literal at the start of _J into REPLY (decoded).
_jp_string() {
	local re='^"(([^"\\]|\\.)*)"' raw
	[[ ${_J:0:1} == '"' ]] || { JSON_ERROR="expected a string: ${_J:0:20}"; return 1; }
	[[ $_J =~ $re ]] || { JSON_ERROR='unterminated string'; return 1; }
	raw=${BASH_REMATCH[1]}
	_J=${_J:${#BASH_REMATCH[0]}}
	_jp_unescape "$raw"
}

_jp_unescape() {
	local s=$1 out='' c hex cp lo
	while [[ $s == *\\* ]]; do
		out+=${s%%\\*}
		s=${s#*\\}
		c=${s:0:1}
		s=${s:1}
		case $c in
		'"' | '\' | /) out+=$c ;;
		b) out+=$'\b' ;;
		f) out+=$'\f' ;;
		n) out+=$'\n' ;;
		r) out+=$'\r' ;;
		t) out+=$'\t' ;;
		u)
			hex=${s:0:4}
			[[ $hex =~ ^[0-9A-Fa-f]{4}$ ]] || { JSON_ERROR="bad \\u escape: \\u$hex"; return 1; }
			s=${s:4}
			cp=$((16#$hex))
			if ((cp >= 0xD800 && cp <= 0xDBFF)) && [[ ${s:0:2} == '\u' && ${s:2:4} =~ ^[dD][c-fC-F][0-9A-Fa-f]{2}$ ]]; then
				lo=$((16#${s:2:4}))
				s=${s:6}
				cp=$((0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00)))
			elif ((cp >= 0xD800 && cp <= 0xDFFF)); then
				cp=0xFFFD # a lone surrogate has no UTF-8 form
			fi
			if ((cp == 0)); then JSON_ERROR='\u0000 cannot be held in a bash string'; return 1; fi
			_jp_utf8 "$cp"
			out+=$REPLY
			;;
		*) JSON_ERROR="bad escape \\$c"; return 1 ;;
		esac
	done
	REPLY=$out$s
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
