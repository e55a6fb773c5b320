//===- FuzzReplay.cpp - Deterministic driver for the fuzz target ----------===//
//
// Runs LLVMFuzzerTestOneInput without libFuzzer: each file given (or each
// file in a folder given), then --mutations=N mutants of it made by a fixed
// pseudo-random sequence (--seed=S): bit flips, bytes set to boundary
// values, varints made huge, ranges erased, duplicated or inserted. CI's
// smoke run; a crash ends the process (and the test), a run longer than
// --timeout seconds aborts naming the input.
//
//===----------------------------------------------------------------------===//
#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

namespace {

uint64_t state = 1;
uint64_t next() { // xorshift64*
  state ^= state >> 12;
  state ^= state << 25;
  state ^= state >> 27;
  return state * 2685821657736338717ULL;
}
size_t below(size_t n) { return n ? next() % n : 0; }

std::string mutate(std::string bytes) {
  int edits = 1 + static_cast<int>(below(4));
  for (int e = 0; e < edits; ++e) {
    size_t at = below(bytes.size() + 1);
    switch (below(7)) {
    case 0: // flip a bit
      if (!bytes.empty())
        bytes[at % bytes.size()] ^= static_cast<char>(1u << below(8));
      break;
    case 1: { // a boundary byte
      static const unsigned char values[] = {0x00, 0x01, 0x7f, 0x80, 0xff};
      if (!bytes.empty())
        bytes[at % bytes.size()] = static_cast<char>(values[below(5)]);
      break;
    }
    case 2: // a huge varint (a dim, a length, an attribute) in place
      bytes.insert(at, std::string("\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 9));
      break;
    case 3: // erase a range
      bytes.erase(at, below(16) + 1);
      break;
    case 4: { // duplicate a range
      std::string range = bytes.substr(at, below(64) + 1);
      bytes.insert(below(bytes.size() + 1), range);
      break;
    }
    case 5: // random bytes
      for (size_t i = below(8) + 1; i > 0; --i)
        bytes.insert(bytes.begin() + std::min(at, bytes.size()),
                     static_cast<char>(next()));
      break;
    default: // truncate
      bytes.resize(at);
      break;
    }
  }
  return bytes;
}

std::string current; // for the timeout message
void onTimeout(int) {
  const char message[] = "fuzz-replay: timeout on ";
  (void)!write(2, message, sizeof(message) - 1);
  (void)!write(2, current.data(), current.size());
  (void)!write(2, "\n", 1);
  _exit(124);
}

void collect(const std::string &path, std::vector<std::string> &files) {
  struct stat info;
  if (stat(path.c_str(), &info) != 0)
    return;
  if (S_ISREG(info.st_mode)) {
    files.push_back(path);
    return;
  }
  if (!S_ISDIR(info.st_mode))
    return;
  DIR *dir = opendir(path.c_str());
  if (!dir)
    return;
  std::vector<std::string> names;
  while (dirent *entry = readdir(dir))
    if (entry->d_name[0] != '.')
      names.push_back(entry->d_name);
  closedir(dir);
  std::sort(names.begin(), names.end());
  for (const std::string &name : names)
    collect(path + "/" + name, files);
}

} // namespace

int main(int argc, char **argv) {
  int mutations = 8, timeout = 60;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--mutations=", 0) == 0)
      mutations = std::atoi(arg.c_str() + 12);
    else if (arg.rfind("--seed=", 0) == 0)
      state = std::strtoull(arg.c_str() + 7, nullptr, 10) | 1;
    else if (arg.rfind("--timeout=", 0) == 0)
      timeout = std::atoi(arg.c_str() + 10);
    else
      collect(arg, files);
  }
  if (files.empty()) {
    std::fprintf(stderr, "usage: fuzz_replay [--mutations=N] [--seed=S] "
                         "[--timeout=SECONDS] FILE|DIR...\n");
    return 2;
  }
  std::signal(SIGALRM, onTimeout);
  long runs = 0;
  for (const std::string &file : files) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    std::string seed = buffer.str();
    for (int m = 0; m <= mutations; ++m) {
      std::string input = m == 0 ? seed : mutate(seed);
      current = file + " (mutant " + std::to_string(m) + ")";
      alarm(timeout);
      LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t *>(input.data()),
                             input.size());
      alarm(0);
      ++runs;
    }
  }
  std::printf("fuzz-replay: %ld inputs (%zu seeds, %d mutants each), no "
              "crash, no timeout\n",
              runs, files.size(), mutations);
  return 0;
}
