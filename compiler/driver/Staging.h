//===- Staging.h - Output that lands whole or not at all --------*- C++ -*-===//
//
// A compilation writes its artifacts into a staging folder inside the output
// folder and moves them in only once all are built; a failure, a signal or a
// fatal error leaves the output folder as it was (and removes it when this
// run created it).
//
//===----------------------------------------------------------------------===//
#ifndef DLC_COMPILER_DRIVER_STAGING_H
#define DLC_COMPILER_DRIVER_STAGING_H

#include <string>
#include <vector>

namespace dlc {

class StagingArea {
public:
  /// Creates the staging folder in `outputDir` (and `outputDir` if needed)
  /// and arms the cleanup on signals and exit.
  bool open(const std::string &outputDir, std::string &error);
  /// The path of `file` in the staging folder.
  std::string path(const std::string &file) const;
  /// Moves `file` into the output folder on commit.
  void keep(const std::string &file) { kept.push_back(file); }
  /// Moves the kept files into the output folder.
  bool commit(std::string &error);
  ~StagingArea();

private:
  std::string outDir, stagingDir;
  std::vector<std::string> kept;
  bool createdOutDir = false, committed = false;
};

} // namespace dlc

#endif // DLC_COMPILER_DRIVER_STAGING_H
