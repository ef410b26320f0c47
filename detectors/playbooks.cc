#include "detectors/playbooks.h"

namespace vigil {
namespace {

constexpr std::string_view kIdenticalCall = R"md(# Loop: identical LLM calls

**What it means.** The agent sent the same model the same user message at least
`identical_call.min_repeats` times in one execution. Nothing in its input changed between the calls,
so it most likely cannot make progress: a tool result it ignores, a parser that rejects the answer
and retries unchanged, or a retry wrapper around a call that keeps failing (failed calls count too).

**What to try first.**
1. Open a sample execution and read the events between two repeats: what did the agent receive
   that it should have acted on?
2. If a retry loop is responsible, add the error or the previous answer to the next prompt instead
   of resending it verbatim, and cap retries.
3. Give the agent a step or call budget (`max_llm_calls`) so a repeat costs a few calls, not
   hundreds; with `auto_halt` on, Vigil stops the run as soon as the loop is seen.

**Tuning.** `identical_call.min_repeats` (default 3, at least 2). Raise it if your agent
legitimately polls with the same prompt; set `identical_call.enabled` to false only if repeats
are by design. With `identical_call.context_aware` (the `vigil` preset) two calls repeat only when
their whole requests do (`context_sha256`, sent by Vigil's SDKs), or, without it, when no tool result
and no new response came between them.
)md";

constexpr std::string_view kSimilarCall = R"md(# Loop: near-identical LLM calls

**What it means.** At least `similar_call.min_cluster` user messages of one execution are within a
character-trigram cosine distance of `similar_call.max_distance` of each other. The agent keeps
asking almost the same thing, changing only a counter, a timestamp or an id: a paginating loop that
never ends, a plan step retried with cosmetic changes, or a self-correction cycle that does not
converge.

**What to try first.**
1. Compare two of the similar messages in a sample execution and find the part that changes; that
   part is usually what the agent believes is progress.
2. Check the stop condition of the loop that builds those messages (page tokens, "done" markers,
   empty results).
3. Add a step budget and make the agent summarise what it already tried before asking again.

**Tuning.** `similar_call.max_distance` (default 0.20, range (0, 1]): lower it if templated but
genuinely different requests are flagged; `similar_call.min_cluster` (default 3) sets how many
look-alikes are needed. With `similar_call.context_aware` (the `vigil` preset) look-alikes count only
when the agent then made the same tool calls and gave alike answers.
)md";

constexpr std::string_view kToolLoop = R"md(# Loop: repeated tool call

**What it means.** The agent called the same tool with the same arguments and got the same result
(or the same error) at least `identical_call.min_repeats` times in one execution. Whatever it thinks
between the calls, the tool tells it nothing new: a search it keeps re-running, a file it keeps
re-reading, a submission it keeps retrying after being told it is wrong.

**What to try first.**
1. Open a sample execution and read the model's answer after the first repeat: why did it decide to
   call the tool again instead of using the result?
2. Cache tool results within a run, or tell the model in the tool's answer that it already has this
   result.
3. Give the agent a step budget (`max_llm_calls`); with `auto_halt` on, Vigil stops the run as soon
   as the loop is seen.

**Tuning.** `tool_loop.enabled` switches the detector (off in the `mesedi` preset); it counts to
`identical_call.min_repeats`. Calls that report no result (`result_text`, `result_summary` or an
exception) never count.
)md";

constexpr std::string_view kTimeBudget = R"md(# Loop: time budget exceeded

**What it means.** The execution ran longer than its limit: the SDK budget's `max_duration_ms` when
one was declared, else the project's `time_budget.max_duration_ms`. The signature is the order of
magnitude reached (`time_budget_60s+`, `time_budget_10m+`, ...). Long runs usually hide a loop, a
tool that hangs without a timeout, or a slow model under rate limiting.

**What to try first.**
1. Look at the gaps between event timestamps in a sample execution: one long gap points at a slow
   tool or call, many short steps point at a loop.
2. Put timeouts on every tool and HTTP call the agent makes.
3. Declare a budget from the SDK so the agent stops itself; with `auto_halt` on, Vigil asks it to
   stop as soon as the limit is crossed.

**Tuning.** Off by default in the `vigil` preset (agents legitimately run for minutes); a budget's
`max_duration_ms` switches it on for that execution, and `time_budget.enabled` with
`time_budget.max_duration_ms` (60000 when unset) for the whole project.
)md";

constexpr std::string_view kStepCount = R"md(# Loop: too many steps

**What it means.** The execution recorded more events than its limit (`step_count.max_steps`, or the
SDK budget's `max_steps`), or more LLM calls than the budget's `max_llm_calls`. The signature is the
order of magnitude reached (`step_count_50+`, `step_count_500+`, ...). An agent that needs far more
steps than usual is usually stuck: planning without acting, or acting without checking results.

**What to try first.**
1. Open a sample execution and look for the point where the events start to look alike; the
   identical-call and similar-call findings, if present, name the repeated call.
2. Check the agent's termination condition and what it does with empty or failed tool results.
3. Declare `max_steps`/`max_llm_calls` in the SDK budget; with `auto_halt` on, Vigil asks the agent
   to stop while it runs.

**Tuning.** Off by default in the `vigil` preset (agents legitimately take hundreds of steps); a
budget's `max_steps` or `max_llm_calls` switches it on for that execution, and `step_count.enabled`
with `step_count.max_steps` (50 events when unset) for the whole project.
)md";

constexpr std::string_view kToolFailures = R"md(# Tool failures

**What it means.** A `tool_call` event reported `status: "failed"`. The signature is the name of the
first tool that failed in the execution, so every execution broken by the same tool lands in one
group, whatever failed after it.

**What to try first.**
1. Read `exception_type` and `exception_message` of the failed call in a sample execution.
2. Check whether the arguments the model produced were valid for the tool (schema, ids that
   exist, sizes); invalid arguments call for a better tool description or argument validation
   that returns a readable error to the model.
3. For outside services, check credentials, rate limits and timeouts, and add retries with
   backoff where the failure is transient.

**Tuning.** `tool_failure.enabled` switches the detector; there is no threshold, since a tool that
fails is always worth a look. Tools that fail by design should report `status: "ok"` with the
outcome in `result_summary`.
)md";

constexpr std::string_view kValidatorFailures = R"md(# Validator failures

**What it means.** A `validator_result` event reported `passed: false`. The signature is the
validator's name (the first failed validator of the execution), so the group tells you which check
the agent's output keeps failing.

**What to try first.**
1. Read the validator's `message` and `severity` in a sample execution, next to the output it
   judged.
2. If the output format is at fault, state the format in the prompt, give an example, or use the
   model's structured-output mode.
3. If the validator is too strict for legitimate answers, fix the validator rather than the agent.

**Tuning.** `validator_failure.enabled` switches the detector. Validators whose failures are only
informational are better reported with `passed: true` and a warning `severity`.
)md";

constexpr std::string_view kCostVelocity = R"md(# Cost velocity

**What it means.** One execution cost at least `cost_velocity.min_cost_usd` (or more than the SDK
budget's `max_cost_usd`). Cost is the stored `estimated_cost_usd` or, when the SDK sent none, the
sum over LLM calls of tokens times Vigil's price table. The signature is the order of magnitude
(`cost_$1+`, `cost_$10+`, ...).

**What to try first.**
1. Sort the LLM calls of a sample execution by tokens: one huge prompt (a whole document or an
   ever-growing history) or many mid-sized calls (a loop) are the usual causes.
2. Trim or summarise the conversation history, cap retrieved context, and use a smaller model for
   routine steps.
3. Declare `max_cost_usd` in the SDK budget; with `auto_halt` on, Vigil asks the agent to stop
   while it runs.

**Tuning.** Off by default in the `vigil` preset; a budget's `max_cost_usd` switches it on for that
execution, and `cost_velocity.enabled` with `cost_velocity.min_cost_usd` (1.00 USD when unset) for
the whole project. Models missing from the price table cost 0 unless the SDK reports
`estimated_cost_usd`.
)md";

constexpr std::string_view kInstructionTag = R"md(# Prompt injection: instruction template tags

**What it means.** A user message or system prompt contains a chat-template token such as
`[INST]`, `[/INST]`, `<<SYS>>` or `<</SYS>>`. These tokens frame instructions for some models;
inside user-supplied text they try to close the real prompt and open a new one.

**What to try first.**
1. Find where the text came from in a sample execution: user input, a retrieved document, a web
   page or a tool result.
2. Strip or escape template tokens from untrusted text before it reaches the prompt, and keep
   untrusted text in clearly delimited data sections.
3. If your own pipeline builds these tokens, make sure the template is applied once, by the model
   client, and not to text already templated.

**Tuning.** `prompt_injection.enabled` switches the whole detector. This pattern is case-sensitive
because the tokens are exact literals.
)md";

constexpr std::string_view kSystemPromptInject = R"md(# Prompt injection: fake system prompt

**What it means.** The text contains `<system>`, `<|system|>` or starts with `system:` (ignoring
case, spaces and look-alike characters): an attempt to pass user-controlled text off as a system
instruction.

**What to try first.**
1. Trace the text to its source in a sample execution (user input, document, tool output).
2. Never concatenate untrusted text into the system prompt; pass it as a user or tool message.
3. Escape or strip role markers from untrusted input, and tell the model that quoted data never
   carries instructions.

**Tuning.** `prompt_injection.enabled` switches the whole detector. A system prompt that itself
starts with the word `system:` is flagged too; rephrase it if that is your own text.
)md";

constexpr std::string_view kJailbreakDan = R"md(# Prompt injection: "DAN" jailbreak

**What it means.** The text contains a "do anything now" / "act as DAN" jailbreak, or consists of
just `DAN`. These prompts try to talk the model out of its rules by role-play.

**What to try first.**
1. Check who sent it: a user probing your agent, or content the agent fetched.
2. Make sure the agent's permissions, not the model's goodwill, bound what it can do: tools should
   enforce their own authorisation.
3. Consider refusing or flagging such requests before they reach the model.

**Tuning.** `prompt_injection.enabled` switches the whole detector.
)md";

constexpr std::string_view kDeveloperMode =
    R"md(# Prompt injection: "developer / jailbreak / admin mode"

**What it means.** The text asks for `developer mode`, `jailbreak mode` or `admin mode`, a classic
attempt to unlock behaviour the model or the agent should not allow.

**What to try first.**
1. Trace the message to its source in a sample execution.
2. Make sure no such "mode" exists in your own prompts or tools; if a privileged mode exists, it
   must be granted by your application, never by text the model reads.
3. Keep authorisation in the tools the agent calls.

**Tuning.** `prompt_injection.enabled` switches the whole detector. Product documentation that
legitimately talks about a "developer mode" will match: keep such text out of the user message, or
accept the finding as informational.
)md";

constexpr std::string_view kRoleOverride = R"md(# Prompt injection: role override

**What it means.** The text contains `you are now ...` or `from now on, you ...`: an attempt to
replace the role the agent was given.

**What to try first.**
1. Trace the message to its source in a sample execution: a retrieved page or tool output is more
   worrying than a user talking to a chatbot.
2. Restate the agent's role and limits after untrusted content, and delimit untrusted content as
   data.
3. Check what the agent did right after the message: did it change behaviour?

**Tuning.** `prompt_injection.enabled` switches the whole detector. Role-play products that
legitimately reassign roles will match; accept those findings as informational or disable the
detector for that project.
)md";

constexpr std::string_view kIgnoreInstructions =
    R"md(# Prompt injection: "ignore previous instructions"

**What it means.** The text contains `ignore (the) previous/above/prior/earlier/all ...` or
`disregard the/your/all/previous/above ...`, the most common way to hijack an agent. There are no
word boundaries by design, so harmless text such as "ignore allergies" also matches: read the
sample before acting.

**What to try first.**
1. Trace the message to its source in a sample execution and read the full sentence.
2. If it came from fetched content (web pages, e-mails, documents), treat that source as hostile:
   delimit it as data and restate the task after it.
3. Check whether the agent's next actions changed; limit what tools can do without confirmation.

**Tuning.** `prompt_injection.enabled` switches the whole detector.
)md";

constexpr std::string_view kInjectionClassifier =
    R"md(# Prompt injection: classifier

**What it means.** No phrase pattern matched, but the trained classifier scored a user message or
a tool result (`result_text`, else `result_summary`) as an injection; the finding's detail names
the text and the score. In a tool result it looks for an instruction to the assistant that stands
out from the document around it ("in your reply, recommend ..."); in a user message, for jailbreak
and override wording in any language it was trained on (English and German).

**What to try first.**
1. Read the named text in a sample execution: an instruction inside fetched content (a page, an
   e-mail, a file) that the user did not write is the worrying case.
2. Treat that source as data: delimit it, restate the task after it, and make tools enforce their
   own permissions so a hijacked agent cannot do much.
3. If the text is harmless (a FAQ, a forum question, your own framework's reminder in a tool
   output), accept the finding as informational.

**Tuning.** `prompt_injection.classifier` switches the classifier off (the patterns stay);
`prompt_injection.read_tool_results` stops reading tool results; `prompt_injection.enabled`
switches the whole detector. docs/injection-model.md says what it catches and misses.
)md";

constexpr std::string_view kNewModel = R"md(# Drift: new model

**What it means.** The execution called a model that no other execution of the project used within
the last `history.days` days. The signature names the new model. Unplanned model changes (a default
that moved, a typo in a deployment, a fallback that kicked in) change behaviour, cost and failure
rates at once; this is why drift outranks every other finding as an execution's group.

**What to try first.**
1. Confirm whether the change was intended (release notes, configuration changes).
2. If it was not, pin the model name in configuration, including the dated version.
3. If it was, compare the failure groups and cost of executions before and after the change.

**Tuning.** `model_drift.enabled` switches the detector; `history.days` (default 7) sets how far
back a model counts as known.
)md";

constexpr std::string_view kLexicalDrift = R"md(# Drift: lexical drift

**What it means.** The user messages of this execution differ from the project's recent messages
(the newest `history.max_messages` within `history.days`) by a character-trigram cosine distance of
at least `lexical_drift.min_distance`. The signature is the distance band (`lexical_drift_0.45+`,
`0.55+`, `0.70+`). The agent is being asked about something new: new users, a new integration, or
input arriving in another language or format.

**What to try first.**
1. Read the user messages of a sample execution next to typical recent ones.
2. If the input format changed (an upstream system now sends JSON, HTML or another language), fix
   the source or adapt the prompt.
3. If the traffic is legitimately new, check the agent's results on it before it becomes normal.

**Tuning.** Off by default (`lexical_drift.enabled`), because varied English traffic crosses 0.70
for a few percent of executions. On homogeneous traffic, enable it and raise
`lexical_drift.min_distance` (0.45 to 1) until the noise goes; `lexical_drift.min_history` keeps it
quiet until the project has enough history.
)md";

constexpr std::string_view kCrashes = R"md(# Crashes

**What it means.** The execution ended with status `crashed`. The signature is the SDK's crash
signature: a hash of the exception type and the innermost stack frames (without line numbers), so
the same bug in the same place always lands in one group even after unrelated edits.

**What to try first.**
1. Open a sample execution: the last events before the crash show what the agent was doing, and
   `output_summary` often holds the exception text.
2. Reproduce with the same input (`input_summary`) and fix the failing code path; most agent
   crashes come from unexpected model output (missing keys, invalid JSON) or a tool error that was
   not caught.
3. Parse model output defensively and turn tool exceptions into results the agent can read.

**Tuning.** `crash.enabled` switches the detector. SDK halts (status `halted`) are never crashes.
)md";

}  // namespace

const std::vector<Playbook>& AllPlaybooks() {
  static const std::vector<Playbook> playbooks = {
      {"loops", "identical_call_", kIdenticalCall},
      {"loops", "similar_call_", kSimilarCall},
      {"loops", "tool_loop_", kToolLoop},
      {"loops", "time_budget_", kTimeBudget},
      {"loops", "step_count_", kStepCount},
      {"tool_failures", "", kToolFailures},
      {"validator_failures", "", kValidatorFailures},
      {"cost_velocity", "cost_", kCostVelocity},
      {"prompt_injection", "instruction_tag", kInstructionTag},
      {"prompt_injection", "system_prompt_inject", kSystemPromptInject},
      {"prompt_injection", "jailbreak_dan", kJailbreakDan},
      {"prompt_injection", "developer_mode", kDeveloperMode},
      {"prompt_injection", "role_override", kRoleOverride},
      {"prompt_injection", "ignore_instructions", kIgnoreInstructions},
      {"prompt_injection", "injection_classifier", kInjectionClassifier},
      {"drift", "new_model:", kNewModel},
      {"drift", "lexical_drift_", kLexicalDrift},
      {"crashes", "", kCrashes},
  };
  return playbooks;
}

std::optional<std::string> FindPlaybook(std::string_view failure_class,
                                        std::string_view signature) {
  for (const Playbook& playbook : AllPlaybooks()) {
    if (playbook.failure_class != failure_class) continue;
    if (signature.substr(0, playbook.signature_prefix.size()) == playbook.signature_prefix) {
      return std::string(playbook.markdown);
    }
  }
  return std::nullopt;
}

}  // namespace vigil
