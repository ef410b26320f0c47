#include "detectors/buckets.h"

#include <doctest/doctest.h>

namespace vigil {
namespace {

TEST_CASE("TimeBucket labels the largest edge at or below the value") {
  struct Case {
    int64_t ms;
    const char* label;
  };
  const Case cases[] = {
      {0, "time_budget_0s+"},        {999, "time_budget_0s+"},      {1000, "time_budget_1s+"},
      {1001, "time_budget_1s+"},                                   // docs/protocol.md#test-vectors
      {9999, "time_budget_1s+"},     {10000, "time_budget_10s+"},  // docs/protocol.md#test-vectors
      {59999, "time_budget_10s+"},   {60000, "time_budget_60s+"},   {599999, "time_budget_60s+"},
      {600000, "time_budget_10m+"},  {3599999, "time_budget_10m+"}, {3600000, "time_budget_1h+"},
      {86400000, "time_budget_1h+"}, {-5, "time_budget_0s+"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.ms);
    CHECK(TimeBucket(c.ms) == c.label);
  }
}

TEST_CASE("StepBucket labels the largest edge at or below the value") {
  struct Case {
    int64_t steps;
    const char* label;
  };
  const Case cases[] = {
      {0, "step_count_1+"},       {1, "step_count_1+"},          {9, "step_count_1+"},
      {10, "step_count_10+"},     {11, "step_count_10+"},        {49, "step_count_10+"},
      {50, "step_count_50+"},     {99, "step_count_50+"},        {100, "step_count_100+"},
      {499, "step_count_100+"},   {500, "step_count_500+"},      {4999, "step_count_500+"},
      {5000, "step_count_5000+"}, {1000000, "step_count_5000+"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.steps);
    CHECK(StepBucket(c.steps) == c.label);
  }
}

TEST_CASE("CostBucket labels the largest edge at or below the value") {
  struct Case {
    double usd;
    const char* label;
  };
  const Case cases[] = {
      {0, "cost_$0+"},          {0.0009, "cost_$0+"},  {0.001, "cost_$0.001+"},
      {0.0027, "cost_$0.001+"}, {0.01, "cost_$0.01+"}, {0.078, "cost_$0.01+"},
      {0.1, "cost_$0.10+"},     {0.99, "cost_$0.10+"}, {1, "cost_$1+"},
      {9.99, "cost_$1+"},       {10, "cost_$10+"},     {1e6, "cost_$10+"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.usd);
    CHECK(CostBucket(c.usd) == c.label);
  }
}

TEST_CASE("LexicalBucket labels the largest edge at or below the distance") {
  CHECK(LexicalBucket(0.45) == "lexical_drift_0.45+");
  CHECK(LexicalBucket(0.5499) == "lexical_drift_0.45+");
  CHECK(LexicalBucket(0.55) == "lexical_drift_0.55+");
  CHECK(LexicalBucket(0.6999) == "lexical_drift_0.55+");
  CHECK(LexicalBucket(0.70) == "lexical_drift_0.70+");
  CHECK(LexicalBucket(0.877039) == "lexical_drift_0.70+");
  CHECK(LexicalBucket(1.0) == "lexical_drift_0.70+");
  CHECK(LexicalBucket(0.1) == "lexical_drift_0.45+");  // below the first edge: first label
}

TEST_CASE("BucketRank orders labels within a family and ignores other signatures") {
  CHECK(BucketRank("time_budget_0s+") == 0);
  CHECK(BucketRank("time_budget_1h+") == 5);
  CHECK(BucketRank("step_count_10+") == 1);
  CHECK(BucketRank("cost_$0.10+") == 3);
  CHECK(BucketRank("lexical_drift_0.70+") == 2);
  CHECK_FALSE(BucketRank("identical_call_ca3b6bcf").has_value());
  CHECK_FALSE(BucketRank("").has_value());
}

}  // namespace
}  // namespace vigil
