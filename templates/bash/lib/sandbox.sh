# Sandbox backend: fake servers, no network. For trying the plugin on a BitrixVM and for tests.
#
# Plans come from `plan = ID | description` lines of etc/NAME.conf. `order` writes one
# file per task into var/tasks/ under the plugin folder; the task is in_progress until
# sandbox_delay_ms milliseconds have passed, then finished with an address from the
# documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24: never a real host) and a
# random password (or, for the plan named by sandbox_fail_plan, status error with a message).
# Address and password are chosen at order time, so every later answer is the same.
#
# The interface every backend implements (see lib/api.sh for the real one):
#   backend_list_plans           sets PLAN_IDS and PLAN_DESCRS (arrays)
#   backend_create_order PLAN    sets TASK_ID, or calls fail "why"
#   backend_get_order TASK_ID    sets ORDER_STATUS (in_progress|finished|error), ORDER_SERVER,
#                                ORDER_PASSWORD, ORDER_MESSAGE, or calls fail "why"

ALNUM=abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789

# random_word N: N random characters of ALNUM in REPLY (from /dev/urandom).
random_word() {
	local bytes b out=''
	bytes=$(od -An -N"$1" -tu1 /dev/urandom) || fail "cannot read /dev/urandom"
	for b in $bytes; do out+=${ALNUM:b % ${#ALNUM}:1}; done
	REPLY=$out
}

# now_ms: milliseconds since the epoch in REPLY.
now_ms() {
	if [[ -n ${EPOCHREALTIME-} ]]; then
		local t=${EPOCHREALTIME/[.,]/}
		REPLY=${t:0:${#t}-3}
	else
		REPLY=$(date +%s%3N)
	fi
}

backend_list_plans() {
	: # PLAN_IDS and PLAN_DESCRS were read from etc/NAME.conf
}

backend_create_order() {
	local plan=$1 i known= created ready server password tmp bytes b1 b2 attempt
	for i in "${!PLAN_IDS[@]}"; do [[ ${PLAN_IDS[$i]} == "$plan" ]] && known=1; done
	[[ -n $known ]] || fail "unknown configuration \"$plan\" (see: $PLUGIN_NAME configs)"

	mkdir -p -- "$STATE_DIR" 2>/dev/null || fail "cannot create the task folder $STATE_DIR"
	now_ms; created=$REPLY
	ready=$((created + CONF_sandbox_delay_ms))
	bytes=($(od -An -N2 -tu1 /dev/urandom)) || fail "cannot read /dev/urandom"
	b1=${bytes[0]} b2=${bytes[1]}
	case $((b1 % 3)) in
	0) server=192.0.2.$((1 + b2 % 254)) ;;
	1) server=198.51.100.$((1 + b2 % 254)) ;;
	*) server=203.0.113.$((1 + b2 % 254)) ;;
	esac
	random_word 20; password=$REPLY

	# Write the whole task to a private file, then hard-link it to its final name: link(2)
	# fails if the name exists, so two concurrent orders can never share an id, and a reader
	# never sees a half-written task.
	random_word 8; tmp=$STATE_DIR/.new.$$.$REPLY
	local fails=0
	[[ -n $CONF_sandbox_fail_plan && $plan == "$CONF_sandbox_fail_plan" ]] && fails=1
	printf 'plan=%s\ncreated_ms=%s\nready_ms=%s\nserver=%s\npassword=%s\nfail=%s\n' \
		"$plan" "$created" "$ready" "$server" "$password" "$fails" >"$tmp" 2>/dev/null || fail "cannot write to $STATE_DIR"
	for attempt in 1 2 3 4 5 6 7 8; do
		random_word 10
		TASK_ID=sb-$REPLY
		if ln -- "$tmp" "$STATE_DIR/$TASK_ID" 2>/dev/null; then
			rm -f -- "$tmp"
			log "sandbox: task $TASK_ID ordered, plan $plan, ready in ${CONF_sandbox_delay_ms} ms"
			return 0
		fi
	done
	rm -f -- "$tmp"
	fail "cannot create a task in $STATE_DIR"
}

backend_get_order() {
	local file=$STATE_DIR/$1 key value ready= fails= plan=
	[[ -f $file ]] || fail "unknown task \"$1\""
	ORDER_STATUS= ORDER_SERVER= ORDER_PASSWORD= ORDER_MESSAGE=
	while IFS='=' read -r key value; do
		case $key in
		ready_ms) ready=$value ;;
		fail) fails=$value ;;
		plan) plan=$value ;;
		server) ORDER_SERVER=$value ;;
		password) ORDER_PASSWORD=$value ;;
		esac
	done <"$file"
	[[ $ready =~ ^[0-9]+$ ]] || fail "task \"$1\" is damaged ($file)"
	now_ms
	if ((REPLY >= ready)) && [[ $fails == 1 ]]; then
		ORDER_STATUS=error ORDER_SERVER= ORDER_PASSWORD=
		ORDER_MESSAGE="sandbox: orders of plan $plan fail (sandbox_fail_plan in etc/$PLUGIN_NAME.conf)"
	elif ((REPLY >= ready)); then
		ORDER_STATUS=finished
	else
		ORDER_STATUS=in_progress ORDER_SERVER= ORDER_PASSWORD=
	fi
}
