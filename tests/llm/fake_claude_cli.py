"""A stand-in for the Claude Code CLI, speaking the stream-JSON protocol the Agent SDK drives.

Run as the SDK's `cli_path` (through a small executable wrapper the tests write). Protocol, as the
SDK uses it: the SDK writes JSON lines on stdin — a `control_request` (subtype `initialize`) that
must be answered with a `control_response` carrying the same `request_id`, then a `user` message
with the prompt — and reads JSON lines on stdout: `system`/`init`, `assistant` messages, and one
`result` (usage, cost, `structured_output` or `result` text, `is_error`). Stdin closing ends it.

What it answers comes from the JSON list in $FAKE_CLAUDE_SCRIPT, one step per run (the step counter
lives beside it); the last step repeats. A step is one of:
  {"structured": {...}}  or  {"text": "..."}       a successful result (with "usage", "cost")
  {"error": "...", "subtype": "...", "status": 401} an error result, then exit 1
  {"sleep": seconds}                                no answer for that long
  {"exit": code, "stderr": "..."}                   a crash before any result
Each run's argv and prompt are appended to $FAKE_CLAUDE_LOG (JSON lines).
"""

import json
import os
import sys
import time
from pathlib import Path


def emit(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def next_step():
    script = Path(os.environ["FAKE_CLAUDE_SCRIPT"])
    steps = json.loads(script.read_text())
    counter = script.with_suffix(".count")
    done = int(counter.read_text()) if counter.exists() else 0
    counter.write_text(str(done + 1))
    return steps[min(done, len(steps) - 1)]


def main():
    step = next_step()
    prompt = None
    for line in sys.stdin:
        message = json.loads(line)
        if message.get("type") == "control_request":
            emit({"type": "control_response", "response": {
                "subtype": "success", "request_id": message["request_id"], "response": {"commands": []}}})
        elif message.get("type") == "user":
            prompt = message["message"]["content"]
            break
    with open(os.environ["FAKE_CLAUDE_LOG"], "a") as log:
        log.write(json.dumps({"argv": sys.argv[1:], "prompt": prompt}) + "\n")
    if "sleep" in step:
        time.sleep(step["sleep"])
        return 0
    if "exit" in step:
        sys.stderr.write(step.get("stderr", "") + "\n")
        return step["exit"]
    session = "fake-session"
    emit({"type": "system", "subtype": "init", "session_id": session, "claude_code_version": "2.1.300",
          "model": "claude-sonnet-4-6", "tools": []})
    usage = step.get("usage", {"input_tokens": 1000, "output_tokens": 200})
    if "error" in step:
        emit({"type": "assistant", "session_id": session, "message": {
            "model": "claude-sonnet-4-6", "content": [{"type": "text", "text": step["error"]}]}})
        emit({"type": "result", "subtype": step.get("subtype", "success"), "is_error": True, "duration_ms": 5,
              "duration_api_ms": 0, "num_turns": 1, "session_id": session, "result": step["error"],
              "api_error_status": step.get("status"), "usage": usage, "total_cost_usd": 0})
        return 1
    text = step.get("text") if "text" in step else json.dumps(step["structured"])
    emit({"type": "assistant", "session_id": session, "message": {
        "model": "claude-sonnet-4-6", "content": [{"type": "text", "text": text}], "usage": usage}})
    result = {"type": "result", "subtype": "success", "is_error": False, "duration_ms": 12, "duration_api_ms": 10,
              "num_turns": 1, "session_id": session, "result": text, "usage": usage,
              "total_cost_usd": step.get("cost", 0.0123)}
    if "structured" in step:
        result["structured_output"] = step["structured"]
    emit(result)
    for _ in sys.stdin:  # the SDK closes stdin when it has the result
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
