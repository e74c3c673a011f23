# HTTP backend: the adapter to YOUR hosting API. This is the file to rewrite.
#
# It implements the three backend functions (same interface as lib/sandbox.sh) against a small
# REST API, which is also what `bx-provider-kit mock-api` serves for testing:
#
#   every request      Authorization: Bearer <api_token>, Accept: application/json
#   GET  /plans        200 {"plans": [{"id": "1", "name": "VPS 1 CPU / 1 GB RAM"}, ...]}
#   POST /orders       body {"plan": "1"}
#                      201 {"id": "ord-7f3a9c", "status": "pending"}
#                      404 {"error": "unknown plan 9"}
#   GET  /orders/ID    200 {"id": "ord-7f3a9c", "plan": "1", "status": "pending"}
#                      status: pending | provisioning | active | failed; when active also
#                      "ip": "203.0.113.7" and "root_password": "..."; when failed, "error": "why"
#                      404 {"error": "no such order"}
#   any failure        a non-2xx status with {"error": "text"} (401: bad or missing token)
#
# Settings from etc/NAME.conf: api_url, api_token, api_timeout (seconds per request; the
# web interface waits for every call, keep it short). Only curl is used (no jq): JSON answers
# are read with json_parse from lib/json.sh.
#
#   backend_list_plans           sets PLAN_IDS and PLAN_DESCRS (arrays)
#   backend_create_order PLAN    sets TASK_ID, or calls fail "why"
#   backend_get_order TASK_ID    sets ORDER_STATUS (in_progress|finished|error), ORDER_SERVER,
#                                ORDER_PASSWORD, ORDER_MESSAGE, or calls fail "why"
#
# Proxies: curl reads http_proxy (lower case only), https_proxy/HTTPS_PROXY, all_proxy/ALL_PROXY
# and skips the hosts of no_proxy/NO_PROXY; it does not bypass 127.0.0.1 or localhost by itself.
# The conformance runner's fault proxy (API-* rules) reaches the API this way.

# api_request METHOD PATH [JSON_BODY]: sets API_STATUS (HTTP status) and parses the answer into
# JSON/JSON_T; calls fail on network errors, timeouts and answers that are not JSON.
api_request() {
	local method=$1 path=$2 body=${3-} url out rc token
	[[ -n $CONF_api_url ]] || fail "api_url is not set in $CONF_FILE"
	[[ $CONF_api_token != *[$'\n\r']* ]] || fail "api_token in $CONF_FILE must be one line"
	url=${CONF_api_url%/}$path
	# The token goes to curl through its config on stdin, so it never shows in `ps`.
	token=${CONF_api_token//\\/\\\\}
	token=${token//\"/\\\"}
	local args=(-q -sS --proto =http,https --max-time "$CONF_api_timeout" -X "$method"
		-H 'Accept: application/json' -w '\n%{http_code}' -K -)
	[[ -n $body ]] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
	log "api: $method $url"
	out=$(curl "${args[@]}" -- "$url" 2>&1 <<<"header = \"Authorization: Bearer $token\"")
	rc=$?
	if ((rc != 0)); then
		# curl's own message ("curl: (7) Failed to connect ...") is somewhere in the output.
		if [[ $out == *'curl: '* ]]; then out=${out#*curl: }; out="curl: ${out%%$'\n'*}"; else out=; fi
		((rc == 28)) && fail "the API did not answer within ${CONF_api_timeout} s ($method $url)"
		fail "cannot reach the API ($method $url): ${out:-curl exit $rc}"
	fi
	API_STATUS=${out##*$'\n'}
	out=${out%$'\n'*}
	log "api: $method $url -> $API_STATUS"
	if ! json_parse "$out"; then
		fail "the API answered $method $path with HTTP $API_STATUS and no JSON ($JSON_ERROR)"
	fi
}

# api_error_text: the API's own explanation of a failed request.
api_error_text() {
	if [[ ${JSON_T[error]-} == string ]]; then REPLY=${JSON[error]}; else REPLY="HTTP $API_STATUS"; fi
}

backend_list_plans() {
	local i n
	api_request GET /plans
	if [[ $API_STATUS != 2?? ]]; then
		api_error_text
		fail "the API refused to list plans: $REPLY"
	fi
	[[ ${JSON_T[plans]-} == array ]] || fail "the API's plan list has no \"plans\" array"
	PLAN_IDS=() PLAN_DESCRS=()
	n=${JSON[plans]}
	for ((i = 0; i < n; i++)); do
		case ${JSON_T[plans.$i.id]-} in string | number) ;; *) fail "plan $i from the API has no id" ;; esac
		PLAN_IDS+=("${JSON[plans.$i.id]}")
		if [[ ${JSON_T[plans.$i.name]-} == string ]]; then
			PLAN_DESCRS+=("${JSON[plans.$i.name]}")
		else
			PLAN_DESCRS+=("plan ${JSON[plans.$i.id]}")
		fi
	done
}

backend_create_order() {
	json_quote "$1"
	api_request POST /orders "{\"plan\":$REPLY}"
	case $API_STATUS in
	2??) ;;
	404 | 422)
		api_error_text
		fail "unknown configuration \"$1\" (the API says: $REPLY)"
		;;
	*)
		api_error_text
		fail "the API refused the order: $REPLY"
		;;
	esac
	case ${JSON_T[id]-} in string | number) ;; *) fail "the API accepted the order but returned no order id" ;; esac
	TASK_ID=${JSON[id]}
}

backend_get_order() {
	ORDER_STATUS= ORDER_SERVER= ORDER_PASSWORD= ORDER_MESSAGE=
	api_request GET "/orders/$1"
	case $API_STATUS in
	2??) ;;
	404) fail "unknown task \"$1\"" ;;
	*)
		api_error_text
		fail "the API cannot tell the state of task $1: $REPLY"
		;;
	esac
	# Map the API's states onto the three bx-provider knows.
	case ${JSON[status]-} in
	pending | provisioning) ORDER_STATUS=in_progress ;;
	active)
		ORDER_STATUS=finished
		[[ ${JSON_T[ip]-} == string ]] && ORDER_SERVER=${JSON[ip]}
		[[ ${JSON_T[root_password]-} == string ]] && ORDER_PASSWORD=${JSON[root_password]}
		;;
	failed)
		ORDER_STATUS=error
		ORDER_MESSAGE='the order failed'
		[[ ${JSON_T[error]-} == string && -n ${JSON[error]} ]] && ORDER_MESSAGE=${JSON[error]}
		;;
	*) fail "the API reported an unknown state \"${JSON[status]-}\" for task $1" ;;
	esac
}
