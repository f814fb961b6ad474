// main() of the probe and baseline images (target/CMakeLists.txt). The
// probe differs from the baseline only by the linker options that keep every
// public symbol of libamp.a, so probe minus baseline is what the library costs.
int main()
{
    return 0;
}
