// Replay driver: runs a fuzz target without libFuzzer, over files and
// directories (CTest replays the seed corpus and the saved regressions this
// way in every build), or writes the target's seed corpus.
//
//   fuzz-<name>-replay PATH...              replay files and directories
//   fuzz-<name>-replay --write-seeds DIR    write amp_fuzz_seeds() into DIR
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

namespace fs = std::filesystem;

class DirSink final : public amp::fuzz::SeedSink {
public:
    explicit DirSink(fs::path dir) : dir_(std::move(dir)) {}
    void add(const char* name, const amp::fuzz::Bytes& input) override
    {
        std::ofstream out(dir_ / name, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(input.data()),
                  static_cast<std::streamsize>(input.size()));
        if (!out) {
            std::fprintf(stderr, "cannot write %s\n", (dir_ / name).c_str());
            std::exit(1);
        }
        ++count;
    }
    int count = 0;

private:
    fs::path dir_;
};

void run(const fs::path& file)
{
    std::ifstream in(file, std::ios::binary);
    const std::vector<char> bytes{std::istreambuf_iterator<char>(in), {}};
    // Exactly sized heap copy: over-reads are caught, as under libFuzzer.
    const amp::fuzz::ExactCopy copy{{reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}};
    LLVMFuzzerTestOneInput(copy.span().data(), copy.size());
}

}  // namespace

int main(int argc, char** argv)
{
    if (argc == 3 && std::string(argv[1]) == "--write-seeds") {
        fs::create_directories(argv[2]);
        DirSink sink{argv[2]};
        amp_fuzz_seeds(sink);
        std::printf("wrote %d seed inputs to %s\n", sink.count, argv[2]);
        return 0;
    }
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s PATH... | --write-seeds DIR\n", argv[0]);
        return 2;
    }

    const uint8_t none = 0;
    LLVMFuzzerTestOneInput(&none, 0);  // the empty input, as libFuzzer starts
    int replayed = 1;
    for (int i = 1; i < argc; ++i) {
        const fs::path path{argv[i]};
        if (!fs::exists(path)) {
            std::fprintf(
                stderr,
                "no such file or directory: %s (seed corpus missing? run scripts/fuzz.sh seeds)\n",
                argv[i]);
            return 2;
        }
        std::vector<fs::path> files;
        if (fs::is_directory(path)) {
            for (const auto& e : fs::directory_iterator(path)) {
                if (e.is_regular_file()) files.push_back(e.path());
            }
            std::sort(files.begin(), files.end());
        } else {
            files.push_back(path);
        }
        for (const auto& f : files) {
            run(f);
            ++replayed;
        }
    }
    std::printf("replayed %d inputs without a failure\n", replayed);
    return 0;
}
