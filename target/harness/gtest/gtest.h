// A small stand-in for GoogleTest on the Cortex-M test images: the subset the
// unit tests use (see the helper rules in tests/unit), so that the same
// tests/unit/*_test.cpp sources run on the host and under QEMU.
//
//   TEST(Suite, Name) { ... }
//   EXPECT_/ASSERT_ + EQ NE LT LE GT GE TRUE FALSE STREQ STRNE, with `<< msg`
//   ADD_FAILURE(), FAIL(), SUCCEED()
//
// ASSERT_* returns from the current (void) function, as in GoogleTest. Values
// of a failed comparison are printed when they are numbers, enums (as their
// underlying value), characters, strings (STREQ/STRNE) or pointers.
// harness.cpp holds the runner (main) and prints "N passed, N failed".
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace amp_harness {

/// Text of a failure report, fixed capacity (cut when full).
class Message {
public:
    Message& operator<<(const char* s);
    Message& operator<<(char c);
    Message& operator<<(bool b);
    Message& operator<<(const void* p);
    Message& operator<<(std::nullptr_t) { return *this << "nullptr"; }
    Message& operator<<(double v);
    Message& put_signed(long long v);
    Message& put_unsigned(unsigned long long v);

    template <class T>
    requires(std::is_integral_v<T> || std::is_enum_v<T>) Message& operator<<(T v)
    {
        if constexpr (std::is_enum_v<T>) {
            return *this << static_cast<std::underlying_type_t<T>>(v);
        } else if constexpr (std::is_signed_v<T>) {
            return put_signed(v);
        } else {
            return put_unsigned(v);
        }
    }
    template <class T>
    requires(!std::is_same_v<std::remove_cv_t<T>, char>) Message& operator<<(T* p)
    {
        return *this << static_cast<const void*>(p);
    }

    const char* c_str() const { return buf_; }

private:
    Message& append(const char* s);

    static constexpr size_t kCapacity = 200;
    char buf_[kCapacity + 1] = {};
    size_t len_ = 0;
};

/// Appends a printable form of `v` (the value of a failed comparison).
template <class T>
void print_value(Message& m, const T& v)
{
    using U = std::remove_cv_t<T>;
    if constexpr (std::is_same_v<U, char>) {
        m << '\'' << v << "' (" << static_cast<int>(v) << ')';
    } else if constexpr (std::is_same_v<U, bool> || std::is_arithmetic_v<U> || std::is_enum_v<U> ||
                         std::is_pointer_v<U> || std::is_null_pointer_v<U>) {
        m << v;
    } else {
        m << '<' << static_cast<unsigned>(sizeof(U)) << "-byte object>";
    }
}

/// Outcome of one check; converts to true when it passed.
struct Result {
    bool ok = true;
    Message text;
    explicit operator bool() const { return ok; }
};

// The comparisons, as objects so that each operand is evaluated once.
struct Eq {
    static constexpr const char* kOp = "==";
    template <class A, class B>
    bool operator()(const A& a, const B& b) const
    {
        return a == b;
    }
};
struct Ne {
    static constexpr const char* kOp = "!=";
    template <class A, class B>
    bool operator()(const A& a, const B& b) const
    {
        return a != b;
    }
};
struct Lt {
    static constexpr const char* kOp = "<";
    template <class A, class B>
    bool operator()(const A& a, const B& b) const
    {
        return a < b;
    }
};
struct Le {
    static constexpr const char* kOp = "<=";
    template <class A, class B>
    bool operator()(const A& a, const B& b) const
    {
        return a <= b;
    }
};
struct Gt {
    static constexpr const char* kOp = ">";
    template <class A, class B>
    bool operator()(const A& a, const B& b) const
    {
        return a > b;
    }
};
struct Ge {
    static constexpr const char* kOp = ">=";
    template <class A, class B>
    bool operator()(const A& a, const B& b) const
    {
        return a >= b;
    }
};

template <class Op, class A, class B>
Result compare(const char* ea, const char* eb, const A& a, const B& b)
{
    Result r;
    if (Op{}(a, b)) return r;
    r.ok = false;
    r.text << "expected " << ea << ' ' << Op::kOp << ' ' << eb << ", got ";
    print_value(r.text, a);
    r.text << " vs ";
    print_value(r.text, b);
    return r;
}

Result check_bool(bool value, bool expected, const char* expr);
Result compare_str(bool want_equal, const char* ea, const char* eb, const char* a, const char* b);

/// Receives a failure and the streamed message (`<< ...`), and records it.
class Failure {
public:
    Failure(const char* file, int line, const Result& result)
        : file_(file), line_(line), result_(result)
    {
    }
    void operator=(const Message& message) const;

private:
    const char* file_;
    int line_;
    const Result& result_;
};

using TestFunction = void (*)();

struct TestCase {
    const char* suite;
    const char* name;
    TestFunction function;
    TestCase* next = nullptr;
};

/// Appends a test case to the run list (from a static initialiser).
struct Registrar {
    explicit Registrar(TestCase& test);
};

}  // namespace amp_harness

// GoogleTest's trick: a lone `if` would bind a user's `else`.
#define AMP_HARNESS_BLOCKER_ \
    switch (0)               \
    case 0:                  \
    default:

#define AMP_HARNESS_CHECK_(result, on_failure)                                  \
    AMP_HARNESS_BLOCKER_                                                        \
    if (const ::amp_harness::Result amp_harness_r_ = (result))                  \
        ;                                                                       \
    else                                                                        \
        on_failure ::amp_harness::Failure(__FILE__, __LINE__, amp_harness_r_) = \
            ::amp_harness::Message()

#define AMP_HARNESS_CMP_(Op, a, b, on_failure) \
    AMP_HARNESS_CHECK_(::amp_harness::compare<::amp_harness::Op>(#a, #b, a, b), on_failure)

#define EXPECT_EQ(a, b) AMP_HARNESS_CMP_(Eq, a, b, )
#define EXPECT_NE(a, b) AMP_HARNESS_CMP_(Ne, a, b, )
#define EXPECT_LT(a, b) AMP_HARNESS_CMP_(Lt, a, b, )
#define EXPECT_LE(a, b) AMP_HARNESS_CMP_(Le, a, b, )
#define EXPECT_GT(a, b) AMP_HARNESS_CMP_(Gt, a, b, )
#define EXPECT_GE(a, b) AMP_HARNESS_CMP_(Ge, a, b, )
#define ASSERT_EQ(a, b) AMP_HARNESS_CMP_(Eq, a, b, return )
#define ASSERT_NE(a, b) AMP_HARNESS_CMP_(Ne, a, b, return )
#define ASSERT_LT(a, b) AMP_HARNESS_CMP_(Lt, a, b, return )
#define ASSERT_LE(a, b) AMP_HARNESS_CMP_(Le, a, b, return )
#define ASSERT_GT(a, b) AMP_HARNESS_CMP_(Gt, a, b, return )
#define ASSERT_GE(a, b) AMP_HARNESS_CMP_(Ge, a, b, return )

#define EXPECT_TRUE(c) \
    AMP_HARNESS_CHECK_(::amp_harness::check_bool(static_cast<bool>(c), true, #c), )
#define EXPECT_FALSE(c) \
    AMP_HARNESS_CHECK_(::amp_harness::check_bool(static_cast<bool>(c), false, #c), )
#define ASSERT_TRUE(c) \
    AMP_HARNESS_CHECK_(::amp_harness::check_bool(static_cast<bool>(c), true, #c), return )
#define ASSERT_FALSE(c) \
    AMP_HARNESS_CHECK_(::amp_harness::check_bool(static_cast<bool>(c), false, #c), return )

#define EXPECT_STREQ(a, b) AMP_HARNESS_CHECK_(::amp_harness::compare_str(true, #a, #b, a, b), )
#define EXPECT_STRNE(a, b) AMP_HARNESS_CHECK_(::amp_harness::compare_str(false, #a, #b, a, b), )
#define ASSERT_STREQ(a, b) \
    AMP_HARNESS_CHECK_(::amp_harness::compare_str(true, #a, #b, a, b), return )
#define ASSERT_STRNE(a, b) \
    AMP_HARNESS_CHECK_(::amp_harness::compare_str(false, #a, #b, a, b), return )

#define ADD_FAILURE() AMP_HARNESS_CHECK_(::amp_harness::check_bool(false, true, "ADD_FAILURE()"), )
#define FAIL() AMP_HARNESS_CHECK_(::amp_harness::check_bool(false, true, "FAIL()"), return )
#define SUCCEED() static_cast<void>(0)

#define AMP_HARNESS_ID_(suite, name, what) amp_harness_##what##_##suite##_##name

#define TEST(suite, name)                                              \
    static void AMP_HARNESS_ID_(suite, name, fn)();                    \
    static ::amp_harness::TestCase AMP_HARNESS_ID_(suite, name, case){ \
        #suite, #name, &AMP_HARNESS_ID_(suite, name, fn)};             \
    static const ::amp_harness::Registrar AMP_HARNESS_ID_(             \
        suite, name, registrar){AMP_HARNESS_ID_(suite, name, case)};   \
    static void AMP_HARNESS_ID_(suite, name, fn)()
