//===- Commands.h - The dlc subcommands -------------------------*- C++ -*-===//
#ifndef DLC_TOOLS_DLC_COMMANDS_H
#define DLC_TOOLS_DLC_COMMANDS_H

#include <string>
#include <vector>

namespace dlc {

using Args = std::vector<std::string>;

int runCompileCommand(const Args &args);
int runRunCommand(const Args &args);
int runBenchCommand(const Args &args);

/// Prints "dlc: error: <message>" on stderr and returns exit code 1.
int reportError(const std::string &message);

} // namespace dlc

#endif // DLC_TOOLS_DLC_COMMANDS_H
