#pragma once
// Shared by the whole-program tests: run one of the built tools as a user
// would (or any command line), capturing its exit code, stdout and stderr.

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "test_support.h"

namespace loctex::testing {

struct ToolRun {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs a shell command line, capturing stdout; stderr goes where the command
// line sends it.
inline ToolRun run_command(const std::string& command) {
  ToolRun r;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return r;
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) r.out.append(buf, n);
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

#ifdef LOCTEX_BIN_DIR
// Runs LOCTEX_BIN_DIR/tool with `args` (already shell-quoted); stderr goes
// through a file in `dir`.
inline ToolRun run(const std::string& tool, const std::string& args, const TempDir& dir) {
  const auto err_file = dir / "stderr.txt";
  auto r = run_command(std::string(LOCTEX_BIN_DIR) + "/" + tool + " " + args + " 2>" + err_file.string());
  r.err = read_text(err_file);
  return r;
}
#endif

// A path in single quotes for the shell. Appends rather than "'" + s + "'":
// GCC 12 at -O3 warns falsely (-Wrestrict).
inline std::string q(const std::filesystem::path& p) {
  std::string quoted(1, '\'');
  quoted.append(p.string()).push_back('\'');
  return quoted;
}

}  // namespace loctex::testing
