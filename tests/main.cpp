// The test runner: doctest's own console output, then one closing line in the plain form
// "doctest: N passed, N failed" that CI tools read without knowing doctest.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>

namespace {

unsigned g_passed = 0;
unsigned g_failed = 0;

// A listener is the one place doctest hands out the run's totals; it only records them,
// so the line can be printed after the console reporter's own summary.
struct RunTotals : doctest::IReporter {
  explicit RunTotals(const doctest::ContextOptions&) {}
  void test_run_end(const doctest::TestRunStats& stats) override {
    g_failed = stats.numTestCasesFailed;
    g_passed = stats.numTestCasesPassingFilters - g_failed;
  }
  void report_query(const doctest::QueryData&) override {}
  void test_run_start() override {}
  void test_case_start(const doctest::TestCaseData&) override {}
  void test_case_reenter(const doctest::TestCaseData&) override {}
  void test_case_end(const doctest::CurrentTestCaseStats&) override {}
  void test_case_exception(const doctest::TestCaseException&) override {}
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData&) override {}
  void log_message(const doctest::MessageData&) override {}
  void test_case_skipped(const doctest::TestCaseData&) override {}
};

}  // namespace

REGISTER_LISTENER("run-totals", 1, RunTotals);

int main(int argc, char** argv) {
  doctest::Context context(argc, argv);
  const int status = context.run();
  if (context.shouldExit()) return status;  // --help, --list-test-cases and the like
  std::printf("doctest: %u passed, %u failed\n", g_passed, g_failed);
  return status;
}
