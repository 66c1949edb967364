#!/usr/bin/env bash
# Data-parallel training through the CLI with real processes on loopback: `train --nproc 2`, a
# rank killed with SIGKILL (the survivor names it and exits; the checkpoint before stays intact and
# one process resumes from it), SIGTERM to the group (every rank stops at the same step, exit 143),
# --auto-resume, resuming on another number of ranks, and the launcher variables checked by name.
# Usage: cli_distributed.sh path/to/ganvas
set -uo pipefail
ganvas=$1
source "$(dirname "$0")/cli_lib.sh"
tiny=(--model pix2pix --netG resnet_6blocks --set ngf=4 --set ndf=4 --size 32 --load-size 36)
small=(--model pix2pix --netG resnet_6blocks --set ngf=16 --set ndf=16 --size 32 --load-size 36)

"$ganvas" data synth --ab --out "$work/ab" --count 24 --size 24 > "$work/synth.log" 2>&1
check "data synth --ab" 0 $? "$work/synth.log"

# Two ranks of batch 2.
"$ganvas" train --data "$work/ab" --out "$work/run" "${tiny[@]}" --steps 4 --batch 2 --nproc 2 \
    --log-every 1 > "$work/train.log" 2>&1
check "train --nproc 2" 0 $? "$work/train.log" "2 ranks of 2, gloo all-reduce"
grep -q '"world_size": 2' "$work/run/config.json" && grep -q '"global_batch": 4' "$work/run/config.json" ||
    { echo "FAIL: config.json lacks the world size and global batch"; failures=$((failures + 1)); }
[[ $(grep -c "finished at step 4/4" "$work/train.log") == 1 ]] ||
    { echo "FAIL: rank 1 should be quiet"; failures=$((failures + 1)); }
[[ $(wc -l < "$work/run/losses.csv") == 5 ]] || { echo "FAIL: one loss row per step, from rank 0 alone"; failures=$((failures + 1)); }

# Resume the 2-rank run on one process (the global batch changes, the position maps over).
"$ganvas" train --out "$work/run" --resume --steps 6 --threads 1 > "$work/resume1.log" 2>&1
check "resume on 1 process" 0 $? "$work/resume1.log" "global batch changes from 4 to 2"
grep -q "finished at step 6/6" "$work/resume1.log" || { echo "FAIL: resume did not finish"; failures=$((failures + 1)); }

# SIGKILL one rank mid-run: the survivor names it within the timeout, the launcher exits non-zero.
rank_pid() {  # the pid of the process with RANK=$1 under the launcher $2
    local p
    for p in $(pgrep -P "$2"); do
        tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null | grep -qx "RANK=$1" && { echo "$p"; return; }
    done
}
start_group() {  # NAME FLAGS...: an endless 2-rank run in $work/NAME, logged to $work/NAME.log; sets $launcher
    local name=$1
    shift
    "$ganvas" train --data "$work/ab" --out "$work/$name" "${small[@]}" --steps 100000 --batch 2 --nproc 2 \
        "$@" > "$work/$name.log" 2>&1 &
    launcher=$!
}
wait_rows() {  # NAME: until the run has logged two steps
    for _ in $(seq 1 600); do [[ $(cat "$work/$1/losses.csv" 2>/dev/null | wc -l) -ge 3 ]] && break; sleep 0.1; done
}
start_group fault --checkpoint-every 5 --dist-timeout 20
for _ in $(seq 1 600); do [[ -s "$work/fault/checkpoint.pt" ]] && break; sleep 0.1; done
sleep 0.5
victim=$(rank_pid 1 $launcher)
start=$(date +%s)
kill -KILL "$victim"
wait $launcher
status=$?
elapsed=$(( $(date +%s) - start ))
[[ $status -ne 0 ]] && echo "ok: the group fails when a rank dies (exit $status)" ||
    { echo "FAIL: exit 0 after a rank died"; failures=$((failures + 1)); }
grep -q "lost the group.*rank 1 (last seen in step" "$work/fault.log" && echo "ok: the survivor names rank 1" ||
    { echo "FAIL: the lost rank is not named"; tail -5 "$work/fault.log"; failures=$((failures + 1)); }
[[ $elapsed -le 30 ]] || { echo "FAIL: took ${elapsed}s to notice"; failures=$((failures + 1)); }
pgrep -P $launcher > /dev/null 2>&1 && { echo "FAIL: ranks left running"; failures=$((failures + 1)); }
"$ganvas" train --out "$work/fault" --resume --steps 100000 --time-budget 1 --threads 1 > "$work/fault_resume.log" 2>&1
check "one process resumes the checkpoint a killed group left" 0 $? "$work/fault_resume.log" "resuming pix2pix from step"

# A rank that hangs (SIGSTOP): the other gives up after --dist-timeout and names it.
start_group hang --checkpoint-every 100000 --log-every 1 --dist-timeout 4
wait_rows hang
victim=$(rank_pid 1 $launcher)
start=$(date +%s)
kill -STOP "$victim"
wait $launcher
status=$?
elapsed=$(( $(date +%s) - start ))
kill -KILL "$victim" 2> /dev/null
[[ $status -ne 0 && $elapsed -le 25 ]] && echo "ok: a hung rank stops the group in ${elapsed}s (exit $status)" ||
    { echo "FAIL: hung rank: exit $status after ${elapsed}s"; failures=$((failures + 1)); }
grep -q "lost the group.*rank 1" "$work/hang.log" && echo "ok: the hung rank is named" ||
    { echo "FAIL: the hung rank is not named"; tail -5 "$work/hang.log"; failures=$((failures + 1)); }

# SIGTERM to the group: every rank stops at the same step, rank 0 checkpoints, exit 143.
start_group term --checkpoint-every 100000 --log-every 1
wait_rows term
kill -TERM $launcher
wait $launcher
check "SIGTERM stops the group with a checkpoint (exit 143)" 143 $? "$work/term.log" "interrupted at step"
step=$(grep -o 'interrupted at step [0-9]*' "$work/term.log" | grep -o '[0-9]*$')
"$ganvas" train --out "$work/term" --resume --steps $((step + 2)) --nproc 2 > "$work/term_resume.log" 2>&1
check "2 ranks resume after SIGTERM" 0 $? "$work/term_resume.log" "finished at step $((step + 2))/$((step + 2))"

# --auto-resume: fresh the first time, resumed the second (what a restarting launcher needs).
"$ganvas" train --data "$work/ab" --out "$work/auto" "${tiny[@]}" --steps 2 --batch 2 --nproc 2 --auto-resume \
    > "$work/auto1.log" 2>&1
check "--auto-resume starts fresh" 0 $? "$work/auto1.log" "finished at step 2/2"
"$ganvas" train --data "$work/ab" --out "$work/auto" "${tiny[@]}" --steps 3 --batch 2 --nproc 2 --auto-resume \
    > "$work/auto2.log" 2>&1
check "--auto-resume resumes" 0 $? "$work/auto2.log" "finished at step 3/3"
grep -q "resuming pix2pix from step 2" "$work/auto2.log" || { echo "FAIL: --auto-resume did not resume"; failures=$((failures + 1)); }

# Launcher variables, checked by name.
WORLD_SIZE=2 RANK=5 MASTER_ADDR=127.0.0.1 MASTER_PORT=29999 "$ganvas" train --data "$work/ab" --out "$work/x" \
    "${tiny[@]}" > "$work/e1.log" 2>&1
check "RANK outside WORLD_SIZE" 2 $? "$work/e1.log" "RANK=5"
WORLD_SIZE=2 RANK=1 MASTER_ADDR=127.0.0.1 "$ganvas" train --data "$work/ab" --out "$work/x" "${tiny[@]}" \
    > "$work/e2.log" 2>&1
check "MASTER_PORT missing" 2 $? "$work/e2.log" "MASTER_PORT"
WORLD_SIZE=2 RANK=0 MASTER_ADDR=127.0.0.1 MASTER_PORT=29999 "$ganvas" train --data "$work/ab" --out "$work/x" \
    "${tiny[@]}" --nproc 2 > "$work/e3.log" 2>&1
check "--nproc under a launcher" 2 $? "$work/e3.log" "--nproc"
# Rank 1 with nobody at the store: a bounded wait, then a message naming the address.
start=$(date +%s)
WORLD_SIZE=2 RANK=1 MASTER_ADDR=127.0.0.1 MASTER_PORT=9 "$ganvas" train --data "$work/ab" --out "$work/x" \
    "${tiny[@]}" --dist-timeout 3 > "$work/e4.log" 2>&1
check "no rendezvous store" 1 $? "$work/e4.log" "127.0.0.1:9"
[[ $(( $(date +%s) - start )) -le 20 ]] || { echo "FAIL: the rendezvous wait is not bounded"; failures=$((failures + 1)); }
"$ganvas" train --data "$work/ab" --out "$work/x" "${tiny[@]}" --nproc 2 --dist-timeout 0 > "$work/e5.log" 2>&1
check "bad --dist-timeout" 2 $? "$work/e5.log" "--dist-timeout"

finish cli_distributed
