#!/usr/bin/env bash
# `ganvas serve` as a client sees it, with curl against the real binary on a free loopback port: every
# route, the same seed giving the same bytes, jobs with progress events and cancellation, a full
# queue (503), every kind of bad request (4xx, the server keeps serving), Host and Origin checks, a
# token, and SIGTERM draining to exit 0. Usage: cli_serve.sh path/to/ganvas
set -uo pipefail
ganvas=$1
source "$(dirname "$0")/cli_lib.sh"
tiny=(--model pix2pix --netG resnet_6blocks --set ngf=4 --set ndf=4 --size 32 --load-size 36 --threads 1)

"$ganvas" data synth --ab --out "$work/ab" --count 4 --size 24 > "$work/synth.log" 2>&1
"$ganvas" train --data "$work/ab" --out "$work/run" --steps 1 --val-ratio 0.25 "${tiny[@]}" > "$work/train.log" 2>&1
check "train a tiny pix2pix to serve" 0 $? "$work/train.log"
"$ganvas" data synth --out "$work/photos" --count 1 --size 40 > "$work/synth2.log" 2>&1
img=$(find "$work/photos" -name '*.png' | head -1)

# `status WHAT EXPECTED CURL_ARGS...`: the HTTP status of a request (body in $work/body).
status() {
    local what=$1 want=$2
    shift 2
    local got
    got=$(curl -s -o "$work/body" -w '%{http_code}' "$@")
    check "$what" "$want" "$got" "$work/body"
}

start_server "$work/serve.log" --model p2p="$work/run" --queue 2 --max-upload-mb 1 --max-pixels 4000000 || { finish cli_serve; }
status "GET /healthz" 200 "${url}healthz"
grep -q '"p2p"' "$work/body" || { echo "FAIL: healthz lacks the model"; failures=$((failures + 1)); }
status "GET /api/models" 200 "${url}api/models"
grep -q '"architecture":"pix2pix"' "$work/body" && grep -q '"inputs"' "$work/body" && grep -q '"checkpoint_sha256"' "$work/body" ||
    { echo "FAIL: /api/models lacks the descriptor"; failures=$((failures + 1)); }

# A model call: PNG with its provenance, the same bytes for the same seed.
status "POST run (PNG)" 200 -F "image=@$img" -F seed=7 "${url}api/models/p2p/run"
cp "$work/body" "$work/a.png"
head -c 8 "$work/a.png" | od -An -c | grep -q 'P   N   G' || { echo "FAIL: not a PNG"; failures=$((failures + 1)); }
grep -aq '"seed":7' "$work/a.png" && grep -aq '"model":"p2p"' "$work/a.png" ||
    { echo "FAIL: the PNG lacks its provenance text"; failures=$((failures + 1)); }
status "POST run again, same seed" 200 -F "image=@$img" -F seed=7 "${url}api/models/p2p/run"
cmp -s "$work/body" "$work/a.png" || { echo "FAIL: the same seed gave different bytes"; failures=$((failures + 1)); }
status "POST run, another seed" 200 -F "image=@$img" -F seed=8 "${url}api/models/p2p/run"
cmp -s "$work/body" "$work/a.png" && { echo "FAIL: another seed gave the same image"; failures=$((failures + 1)); }
status "POST run (JSON, 2 samples, keep size)" 200 -F "image=@$img" -F samples=2 -F format=json -F keep_size=true \
    "${url}api/models/p2p/run"
grep -q '"name":"output_1"' "$work/body" && grep -q '"timings_ms"' "$work/body" && grep -q '"width":40' "$work/body" ||
    { echo "FAIL: JSON answer"; cat "$work/body"; failures=$((failures + 1)); }

# Bad requests: 4xx with a message, and the server keeps serving.
printf 'not an image' > "$work/text.png"
head -c 100 "$img" > "$work/cut.png"
python3 - "$work/bomb.png" <<'PY'
import struct, sys, zlib
def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
ihdr = struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0)
open(sys.argv[1], "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b""))
PY
head -c 1200000 /dev/zero > "$work/big.bin"
status "not an image" 400 -F "image=@$work/text.png" "${url}api/models/p2p/run"
grep -q 'image' "$work/body" || { echo "FAIL: message"; failures=$((failures + 1)); }
status "truncated image" 400 -F "image=@$work/cut.png" "${url}api/models/p2p/run"
status "decompression bomb (header checked first)" 413 -F "image=@$work/bomb.png" "${url}api/models/p2p/run"
grep -q 'max-pixels' "$work/body" || { echo "FAIL: bomb message"; failures=$((failures + 1)); }
status "upload over --max-upload-mb" 413 -F "image=@$work/big.bin" "${url}api/models/p2p/run"
status "unknown model" 404 -F "image=@$img" "${url}api/models/nope/run"
status "missing image" 400 -F seed=1 "${url}api/models/p2p/run"
status "an image the model does not take" 400 -F "image=@$img" -F "style=@$img" "${url}api/models/p2p/run"
status "unknown field" 400 -F "image=@$img" -F colour=red "${url}api/models/p2p/run"
status "bad seed" 400 -F "image=@$img" -F seed=-1 "${url}api/models/p2p/run"
status "samples out of range" 400 -F "image=@$img" -F samples=0 "${url}api/models/p2p/run"
status "not multipart" 415 -H 'Content-Type: application/json' -d '{}' "${url}api/models/p2p/run"
status "unknown route" 404 "${url}api/nothing"
status "foreign Host (DNS rebinding)" 403 -H 'Host: evil.example:80' "${url}healthz"
status "foreign Origin" 403 -H 'Origin: http://evil.example' -F "image=@$img" "${url}api/models/p2p/run"
status "still serving after bad requests" 200 "${url}healthz"

# Edges.
status "GET /api/edges" 200 "${url}api/edges"
status "POST /api/edges (classic sketch)" 200 -F "image=@$img" -F detector=classic "${url}api/edges"
head -c 8 "$work/body" | od -An -c | grep -q 'P   N   G' || { echo "FAIL: edges PNG"; failures=$((failures + 1)); }
status "edges: unknown detector" 400 -F "image=@$img" -F detector=sobel "${url}api/edges"

# Jobs: id at once, progress as server-sent events, the result, cancellation.
status "POST /api/jobs" 202 -F model=p2p -F "image=@$img" -F seed=7 "${url}api/jobs"
id=$(grep -o '"id":"[0-9a-f]*"' "$work/body" | cut -d'"' -f4)
curl -s -N --max-time 20 "${url}api/jobs/$id/events" > "$work/events.txt"
grep -q '^event: done' "$work/events.txt" || { echo "FAIL: no done event"; cat "$work/events.txt"; failures=$((failures + 1)); }
status "GET job result" 200 "${url}api/jobs/$id/result"
cmp -s "$work/body" "$work/a.png" || { echo "FAIL: the job's PNG differs from the direct call's"; failures=$((failures + 1)); }
status "GET job status" 200 "${url}api/jobs/$id"
grep -q '"state":"done"' "$work/body" || { echo "FAIL: job state"; failures=$((failures + 1)); }
status "cancel a finished job" 409 -X DELETE "${url}api/jobs/$id"
status "unknown job" 404 "${url}api/jobs/0123456789abcdef0123456789abcdef"

status "GET /metrics" 200 "${url}metrics"
grep -q 'ganvas_requests_total{route="POST /api/models/{name}/run",status="200"}' "$work/body" &&
    grep -q 'ganvas_request_seconds_bucket' "$work/body" && grep -q 'ganvas_model_load_seconds{model="p2p"}' "$work/body" ||
    { echo "FAIL: metrics"; failures=$((failures + 1)); }
kill -TERM $pid
wait $pid
check "SIGTERM drains and exits 0" 0 $? "$work/serve.log" "stopped"

# A full queue: one worker, no waiting room; a slow job holds the worker, the next call gets 503.
python3 - "$work/large.png" <<'PY'
import struct, sys, zlib
w = h = 1024
raw = b"".join(b"\0" + bytes((x * 7 + y * 3) % 256 for x in range(w * 3)) for y in range(h))
def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
open(sys.argv[1], "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
                              chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
PY
start_server "$work/serve2.log" --model p2p="$work/run" --workers 1 --queue 0 --max-upload-mb 8 || { finish cli_serve; }
status "a slow job" 202 -F model=p2p -F "image=@$work/large.png" -F samples=64 -F keep_size=1 "${url}api/jobs"
slow=$(grep -o '"id":"[0-9a-f]*"' "$work/body" | cut -d'"' -f4)
got=$(curl -s -D "$work/headers" -o "$work/body" -w '%{http_code}' -F "image=@$img" "${url}api/models/p2p/run")
check "full queue answers 503" 503 "$got" "$work/body" "queue is full"
grep -qi '^Retry-After: [0-9]' "$work/headers" || { echo "FAIL: no Retry-After"; failures=$((failures + 1)); }
status "cancel the slow job" 200 -X DELETE "${url}api/jobs/$slow"
for _ in $(seq 1 600); do
    curl -s "${url}api/jobs/$slow" | grep -q '"state":"cancelled"' && break
    sleep 0.1
done
status "the cancelled job says so" 200 "${url}api/jobs/$slow"
grep -q '"state":"cancelled"' "$work/body" || { echo "FAIL: job not cancelled"; cat "$work/body"; failures=$((failures + 1)); }
status "serving again after the cancel" 200 -F "image=@$img" "${url}api/models/p2p/run"
kill -TERM $pid
wait $pid

# A token: every API route needs it; /healthz does not.
start_server "$work/serve3.log" --model p2p="$work/run" --token s3cret-token || { finish cli_serve; }
status "no token: 401" 401 "${url}api/models"
status "wrong token: 401" 401 -H 'Authorization: Bearer nope-nope-nope' "${url}api/models"
status "the token: 200" 200 -H 'Authorization: Bearer s3cret-token' "${url}api/models"
status "healthz needs no token" 200 "${url}healthz"
kill -TERM $pid
wait $pid

# An exported model (float16, no discriminator) in a models folder with its models.json: what the
# repository ships in models/, served when no model is named.
mkdir -p "$work/shipped"
"$ganvas" export --checkpoint "$work/run" --out "$work/shipped/tiny.pt" --half > "$work/export.log" 2>&1
check "export a run, half precision" 0 $? "$work/export.log" "exported pix2pix (step 1)"
[[ $(stat -c %s "$work/shipped/tiny.pt") -lt $(stat -c %s "$work/run/checkpoint.pt") ]] ||
    { echo "FAIL: the export is not smaller than the run's checkpoint"; failures=$((failures + 1)); }
echo '{"tiny": {"title": "A tiny test model", "summary": "one step of pix2pix", "example": "sketch"}}' \
    > "$work/shipped/models.json"
GANVAS_MODELS="$work/shipped" start_server "$work/serve4.log" || { finish cli_serve; }
status "shipped models: /api/models" 200 "${url}api/models"
grep -q '"name":"tiny"' "$work/body" && grep -q '"title":"A tiny test model"' "$work/body" &&
    grep -q '"storage":"float16"' "$work/body" && grep -q '"trained_steps":1' "$work/body" ||
    { echo "FAIL: /api/models lacks the shipped model's description"; failures=$((failures + 1)); }
status "shipped models: run" 200 -F "image=@$img" -F seed=3 "${url}api/models/tiny/run"
kill -TERM $pid
wait $pid
mkdir -p "$work/shipped-run" && cp "$work/shipped/tiny.pt" "$work/shipped-run/checkpoint.pt"
"$ganvas" train --out "$work/shipped-run" --resume --steps 2 > "$work/e5.log" 2>&1
check "an exported model does not resume training" 1 $? "$work/e5.log" "exported model"
mkdir -p "$work/empty"
GANVAS_MODELS="$work/empty" "$ganvas" serve --port 0 > "$work/e6.log" 2>&1
check "GANVAS_MODELS without models" 2 $? "$work/e6.log" "GANVAS_MODELS"
"$ganvas" export --checkpoint "$work/run" --out "$work/run/checkpoint.pt" > "$work/e7.log" 2>&1
check "export onto its own source" 2 $? "$work/e7.log" "source checkpoint"

# Flags.
"$ganvas" serve --host 0.0.0.0 --port 0 > "$work/e1.log" 2>&1
check "non-loopback without a token" 2 $? "$work/e1.log" "--token"
"$ganvas" serve --port 0 --model p2p="$work/nothing" > "$work/e2.log" 2>&1
check "a checkpoint that is not there" 1 $? "$work/e2.log" "nothing"
"$ganvas" serve --port 0 --cors-origin 'evil' > "$work/e3.log" 2>&1
check "a malformed --cors-origin" 2 $? "$work/e3.log" "--cors-origin"
finish cli_serve
