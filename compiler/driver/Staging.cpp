//===- Staging.cpp - Output that lands whole or not at all ----------------===//
#include "compiler/driver/Staging.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace dlc {

namespace {
// What a signal, a fatal error or exit() must remove while a compilation is
// under way: the staging folder and, when this run created it, OUTDIR. Fixed
// buffers and raw system calls: a signal handler may not allocate.
char cleanupStaging[4096];
char cleanupCreatedOutDir[4096];
volatile std::sig_atomic_t cleanupArmed = 0;

struct LinuxDirent64 {
  uint64_t inode;
  int64_t offset;
  unsigned short length;
  unsigned char type;
  char name[1];
};

/// Removes `path` and what it holds (the staging folder is at most two
/// levels deep), with async-signal-safe calls only.
void removeTreeSignalSafe(const char *path, int depth) {
  if (::unlink(path) == 0 || depth > 4)
    return;
  int dir = ::open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    alignas(8) char entries[2048];
    long bytes;
    while ((bytes = ::syscall(SYS_getdents64, dir, entries, sizeof(entries))) >
           0) {
      for (long at = 0; at < bytes;) {
        auto *entry = reinterpret_cast<LinuxDirent64 *>(entries + at);
        at += entry->length;
        if (!std::strcmp(entry->name, ".") || !std::strcmp(entry->name, ".."))
          continue;
        char child[4096];
        size_t pathLength = std::strlen(path),
               nameLength = std::strlen(entry->name);
        if (pathLength + nameLength + 2 > sizeof(child))
          continue;
        std::memcpy(child, path, pathLength);
        child[pathLength] = '/';
        std::memcpy(child + pathLength + 1, entry->name, nameLength + 1);
        removeTreeSignalSafe(child, depth + 1);
      }
    }
    ::close(dir);
  }
  ::rmdir(path);
}

void runCleanup() {
  if (!cleanupArmed)
    return;
  cleanupArmed = 0;
  removeTreeSignalSafe(cleanupStaging, 0);
  if (cleanupCreatedOutDir[0])
    ::rmdir(cleanupCreatedOutDir); // only removes it while empty
}

// The handlers found before ours (a host program's, a sanitizer's or a
// fuzzer's), which run after the cleanup.
struct sigaction previousActions[NSIG];

void cleanupAndReraise(int signal, siginfo_t *info, void *) {
  runCleanup();
  ::sigaction(signal, &previousActions[signal], nullptr);
  // A fault returns to the faulting instruction, which faults again into
  // the previous handler with its true address; anything else is raised.
  bool fault = info && info->si_code > 0 &&
               (signal == SIGSEGV || signal == SIGBUS || signal == SIGFPE ||
                signal == SIGILL);
  if (!fault)
    std::raise(signal);
}

/// Once per process: interrupts, crashes and exit() (LLVM's fatal errors
/// exit(1)) remove what an unfinished compilation staged.
void installCleanupHandlers() {
  static bool installed = [] {
    for (int signal : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGSEGV,
                       SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGXCPU, SIGXFSZ}) {
      struct sigaction action;
      std::memset(&action, 0, sizeof(action));
      action.sa_sigaction = cleanupAndReraise;
      action.sa_flags = SA_NODEFER | SA_SIGINFO;
      sigemptyset(&action.sa_mask);
      // Keep a parent's "ignore" (nohup) as it is.
      struct sigaction &previous = previousActions[signal];
      if (::sigaction(signal, nullptr, &previous) != 0 ||
          (!(previous.sa_flags & SA_SIGINFO) && previous.sa_handler == SIG_IGN))
        continue;
      ::sigaction(signal, &action, nullptr);
    }
    std::atexit(runCleanup);
    return true;
  }();
  (void)installed;
}

bool copyPath(char (&buffer)[4096], const std::string &path) {
  if (path.size() + 1 > sizeof(buffer))
    return false;
  std::memcpy(buffer, path.c_str(), path.size() + 1);
  return true;
}

} // namespace

bool StagingArea::open(const std::string &outputDir, std::string &error) {
  // Absolute: LLVM puts unique names for relative paths under /tmp.
  llvm::SmallString<256> absolute(outputDir);
  if (std::error_code code = llvm::sys::fs::make_absolute(absolute)) {
    error = "cannot resolve " + outputDir + ": " + code.message();
    return false;
  }
  outDir = std::string(absolute);
  if (!llvm::sys::fs::exists(outDir)) {
    if (std::error_code code = llvm::sys::fs::create_directories(outDir)) {
      error = "cannot create output folder " + outDir + ": " + code.message();
      return false;
    }
    createdOutDir = true;
  } else if (!llvm::sys::fs::is_directory(outDir)) {
    error = outDir + " exists and is not a folder";
    return false;
  }
  llvm::SmallString<256> model(outDir);
  llvm::sys::path::append(model, ".dlc-staging-%%%%%%");
  llvm::SmallString<256> created;
  if (std::error_code code =
          llvm::sys::fs::createUniqueDirectory(model, created)) {
    error = "cannot write into " + outDir + ": " + code.message();
    return false;
  }
  // createUniqueDirectory appends its own suffix to the model path.
  stagingDir = std::string(created);
  installCleanupHandlers();
  cleanupArmed = 0;
  if (!copyPath(cleanupStaging, stagingDir) ||
      !copyPath(cleanupCreatedOutDir, createdOutDir ? outDir : "")) {
    error = "output folder path too long: " + outDir;
    return false;
  }
  cleanupArmed = 1;
  return true;
}

std::string StagingArea::path(const std::string &file) const {
  llvm::SmallString<256> result(stagingDir);
  llvm::sys::path::append(result, file);
  return std::string(result);
}

bool StagingArea::commit(std::string &error) {
  for (const std::string &file : kept) {
    llvm::SmallString<256> target(outDir);
    llvm::sys::path::append(target, file);
    if (std::error_code code = llvm::sys::fs::rename(path(file), target)) {
      error = "cannot move " + file + " into " + outDir + ": " + code.message();
      return false;
    }
  }
  committed = true;
  return true;
}

StagingArea::~StagingArea() {
  cleanupArmed = 0;
  if (!stagingDir.empty())
    llvm::sys::fs::remove_directories(stagingDir);
  if (!committed && createdOutDir)
    llvm::sys::fs::remove(outDir); // only removes it while empty
}

} // namespace dlc
