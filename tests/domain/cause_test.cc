#include "domain/cause.h"

#include <doctest/doctest.h>

#include "domain/merge.h"

using namespace vigil;

TEST_CASE(
    "IsCodeVersion accepts commits, tags and describe output, and nothing that needs quoting") {
  for (const char* v : {"3f2c1ab", "v1.4.2", "v1.4.2-3-gdeadbee", "1.0.0+build.7",
                        "release/2026.05", "app@sha:1"}) {
    CHECK_MESSAGE(IsCodeVersion(v), v);
  }
  for (const char* v : {"", "main branch", "a;b", "x\ny", "<script>", "über", "a\"b"}) {
    CHECK_MESSAGE(!IsCodeVersion(v), v);
  }
}

TEST_CASE("IsContainerDigest follows the OCI digest form") {
  CHECK(
      IsContainerDigest("sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
  CHECK(IsContainerDigest("sha512:abc"));
  CHECK(IsContainerDigest("multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8"));
  for (const char* v : {"", "latest", "sha256:", ":abc", "SHA256:abc", "sha256+:abc", "+sha:abc",
                        "sha256:ab/cd", "sha256:ab cd", "sha256::ab"}) {
    CHECK_MESSAGE(!IsContainerDigest(v), v);
  }
}

TEST_CASE("MergeExecution keeps a halt reason only with a terminal status") {
  ExecutionPatch start;
  start.execution_id = "e";
  start.halt_reason = "stop me";
  Execution running = MergeExecution(std::nullopt, start, 1, 1);
  CHECK(running.halt_reason.empty());  // on a running execution it would be a pending halt

  ExecutionPatch end;
  end.status = ExecutionStatus::kHalted;
  end.halt_reason = "6 LLM calls, over max_steps=5";
  CHECK(MergeExecution(running, end, 1, 2).halt_reason == "6 LLM calls, over max_steps=5");

  Execution halted_remotely = running;
  halted_remotely.halt_reason = "halted from the dashboard";
  ExecutionPatch silent_end;
  silent_end.status = ExecutionStatus::kHalted;
  CHECK(MergeExecution(halted_remotely, silent_end, 1, 2).halt_reason ==
        "halted from the dashboard");
}

TEST_CASE("MergeExecution merges the build identity like any other field") {
  ExecutionPatch first;
  first.execution_id = "e";
  first.code_version = "v1";
  first.container_digest = "sha256:ab";
  Execution e = MergeExecution(std::nullopt, first, 1, 1);
  ExecutionPatch end;
  end.status = ExecutionStatus::kCompleted;
  e = MergeExecution(e, end, 1, 2);
  CHECK(e.code_version == "v1");
  CHECK(e.container_digest == "sha256:ab");
  ExecutionPatch later;
  later.code_version = "v2";
  CHECK(MergeExecution(e, later, 1, 3).code_version == "v2");
}
