// `amp-board run`: both cores as two child processes; their consoles are
// merged line by line, as two UARTs shown side by side would be. A core
// killed with SIGKILL (`kill -9 PID` by hand) is started again, as a core
// that was reset boots again: the other one keeps running and the link
// recovers.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <time.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "board.h"

namespace amp::host::board {
namespace {

struct Child {
    const char* core = "";
    pid_t pid = -1;
    int fd = -1;  // read end of its stdout
    std::string partial;
    std::deque<std::pair<uint64_t, std::string>> lines;  // (stamp, text) not printed yet
    bool exited = false;
    int status = 0;
};

// The runner waits for its children; a Ctrl-C reaches them directly (same
// process group), so here it only must not kill the runner.
void ignore_signal(int /*sig*/) {}

uint64_t monotonic_ns()
{
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

std::string self_exe()
{
    std::array<char, 4096> buf{};
    const ssize_t n = ::readlink("/proc/self/exe", buf.data(), buf.size() - 1);
    return n > 0 ? std::string(buf.data(), static_cast<size_t>(n)) : std::string("amp-board");
}

pid_t spawn(const std::string& exe, const char* core, const std::vector<std::string>& args, int& fd)
{
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return -1;
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // never outlive the runner
        ::dup2(fds[1], STDOUT_FILENO);
        ::setenv(kStampEnv, "1", 1);
        std::vector<char*> argv;
        argv.push_back(const_cast<char*>(exe.c_str()));
        argv.push_back(const_cast<char*>(core));
        for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        ::execv(exe.c_str(), argv.data());
        std::fprintf(stderr, "amp-board run: cannot start %s: %s\n", exe.c_str(),
                     std::strerror(errno));
        ::_exit(127);
    }
    ::close(fds[1]);
    if (pid < 0) {
        ::close(fds[0]);
        return -1;
    }
    fd = fds[0];
    return pid;
}

// Prints lines; the summaries (and link statistics) are held back and
// printed last, CM7 first, so the transcript always ends the same way.
struct Output {
    std::vector<std::string> summary[2];
    std::vector<std::string> stats[2];

    void line(const std::string& l)
    {
        for (int i = 0; i < 2; ++i) {
            const std::string core = i == 0 ? "CM7" : "CM4";
            if (l.rfind(core + " summary:", 0) == 0) {
                summary[i].push_back(l);
                return;
            }
            for (const char* group : {" link:", " channel:", " streams:"}) {
                if (l.rfind(core + group, 0) == 0) {
                    stats[i].push_back(l);
                    return;
                }
            }
        }
        std::fwrite(l.data(), 1, l.size(), stdout);
        std::fputc('\n', stdout);
        std::fflush(stdout);
    }
    void finish()
    {
        for (auto* group : {summary, stats}) {
            for (int i = 0; i < 2; ++i) {
                for (const std::string& l : group[i]) std::printf("%s\n", l.c_str());
            }
        }
        std::fflush(stdout);
    }
};

// Splits "<ns> <text>" as the children write it (see kStampEnv).
void queue_line(Child& c, const std::string& raw)
{
    uint64_t stamp = 0;
    size_t i = 0;
    while (i < raw.size() && raw[i] >= '0' && raw[i] <= '9') stamp = stamp * 10 + (raw[i++] - '0');
    if (i == 0 || i >= raw.size() || raw[i] != ' ') {
        c.lines.emplace_back(monotonic_ns(), raw);  // not stamped: now
        return;
    }
    c.lines.emplace_back(stamp, raw.substr(i + 1));
}

void read_from(Child& c)
{
    char buf[8192];
    const ssize_t n = ::read(c.fd, buf, sizeof buf);
    if (n > 0) {
        c.partial.append(buf, static_cast<size_t>(n));
        size_t start = 0;
        for (size_t nl; (nl = c.partial.find('\n', start)) != std::string::npos; start = nl + 1) {
            queue_line(c, c.partial.substr(start, nl - start));
        }
        c.partial.erase(0, start);
        return;
    }
    if (n < 0 && errno == EINTR) return;
    if (!c.partial.empty()) queue_line(c, c.partial);  // a last line without newline
    c.partial.clear();
    ::close(c.fd);
    c.fd = -1;
}

// The hold-back time: 30 ms, or AMP_BOARD_HOLD_MS for runs so slow (under
// valgrind, say) that a line can take longer from its core to the runner.
uint64_t hold_ns()
{
    const char* ms = std::getenv("AMP_BOARD_HOLD_MS");
    const long v = ms != nullptr ? std::strtol(ms, nullptr, 10) : 0;
    return v > 0 && v <= 60000 ? static_cast<uint64_t>(v) * 1000000u : 30000000u;
}

// Prints queued lines in time order. A line is printed once the other core
// can no longer produce an earlier one: it has a later line queued, its
// output has ended, or the line is older than the hold-back time.
void merge(std::array<Child, 2>& kids, Output& out, bool flush_all)
{
    static const uint64_t kHoldNs = hold_ns();
    for (;;) {
        int pick = -1;
        for (int i = 0; i < 2; ++i) {
            if (kids[i].lines.empty()) continue;
            if (pick < 0 || kids[i].lines.front().first < kids[pick].lines.front().first) pick = i;
        }
        if (pick < 0) return;
        const Child& other = kids[1 - pick];
        const uint64_t t = kids[pick].lines.front().first;
        const bool ready =
            flush_all || !other.lines.empty() || other.fd < 0 || monotonic_ns() > t + kHoldNs;
        if (!ready) return;
        out.line(kids[pick].lines.front().second);
        kids[pick].lines.pop_front();
    }
}

}  // namespace

int run_both(const std::vector<std::string>& args)
{
    struct sigaction sa {};
    sa.sa_handler = ignore_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);

    const std::string exe = self_exe();
    std::array<Child, 2> kids;
    kids[0].core = "cm7";
    kids[1].core = "cm4";
    for (Child& c : kids) {
        c.pid = spawn(exe, c.core, args, c.fd);
        if (c.pid < 0) {
            std::fprintf(stderr, "amp-board run: cannot start the %s: %s\n", c.core,
                         std::strerror(errno));
            for (Child& k : kids) {
                if (k.pid > 0) ::kill(k.pid, SIGTERM);
            }
            return 1;
        }
    }

    Output out;
    using Clock = std::chrono::steady_clock;
    std::optional<Clock::time_point> first_failure;
    bool terminated = false;
    constexpr int kMaxRestarts = 1000;
    int restarts = 0;
    for (;;) {
        std::vector<pollfd> fds;
        for (Child& c : kids) {
            if (c.fd >= 0) fds.push_back(pollfd{c.fd, POLLIN, 0});
        }
        if (fds.empty()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        } else {
            ::poll(fds.data(), fds.size(), 10);
        }
        for (Child& c : kids) {
            if (c.fd < 0) continue;
            for (const pollfd& p : fds) {
                if (p.fd == c.fd && (p.revents & (POLLIN | POLLHUP | POLLERR)) != 0) read_from(c);
            }
        }
        merge(kids, out, false);
        for (Child& c : kids) {
            if (c.exited) continue;
            if (::waitpid(c.pid, &c.status, WNOHANG) != c.pid) continue;
            Child& other = kids[&c == &kids[0] ? 1 : 0];
            if (WIFSIGNALED(c.status) && WTERMSIG(c.status) == SIGKILL && !other.exited &&
                !first_failure && restarts < kMaxRestarts) {
                // Reset by hand: boot it again (after printing what it wrote).
                while (c.fd >= 0) read_from(c);
                const pid_t old = c.pid;
                c.pid = spawn(exe, c.core, args, c.fd);
                if (c.pid > 0) {
                    ++restarts;
                    std::fprintf(stderr,
                                 "amp-board run: the %s (pid %d) was killed; starting it again "
                                 "(pid %d)\n",
                                 c.core, static_cast<int>(old), static_cast<int>(c.pid));
                    continue;
                }
            }
            c.exited = true;
            if (!(WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0) && !first_failure) {
                first_failure = Clock::now();
            }
        }
        const bool all_exited = kids[0].exited && kids[1].exited;
        const bool all_read = kids[0].fd < 0 && kids[1].fd < 0;
        if (all_exited && all_read) break;
        // One core failed: give the other a moment to notice, then stop it.
        if (first_failure && !terminated &&
            Clock::now() - *first_failure > std::chrono::seconds(3)) {
            terminated = true;
            for (Child& c : kids) {
                if (!c.exited) ::kill(c.pid, SIGTERM);
            }
        }
    }
    merge(kids, out, true);
    out.finish();

    int rc = 0;
    for (const Child& c : kids) {
        if (WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0) continue;
        rc = 1;
        if (WIFSIGNALED(c.status)) {
            std::fprintf(stderr, "amp-board run: the %s was killed by signal %d\n", c.core,
                         WTERMSIG(c.status));
        } else {
            std::fprintf(stderr, "amp-board run: the %s exited with status %d\n", c.core,
                         WEXITSTATUS(c.status));
        }
    }
    return rc;
}

}  // namespace amp::host::board
