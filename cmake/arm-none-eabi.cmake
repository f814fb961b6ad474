# Common part of the Cortex-M toolchain files: arm-none-eabi-g++ (Debian's
# gcc-arm-none-eabi with newlib), bare metal. The including file sets
# AMP_TARGET_CPU (cortex-m7 / cortex-m4) and AMP_TARGET_ARCH_FLAGS first.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)

set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_CXX_COMPILER arm-none-eabi-g++)
set(CMAKE_ASM_COMPILER arm-none-eabi-gcc)
set(CMAKE_AR arm-none-eabi-ar CACHE FILEPATH "")
set(CMAKE_RANLIB arm-none-eabi-ranlib CACHE FILEPATH "")
set(CMAKE_NM arm-none-eabi-nm CACHE FILEPATH "")
set(CMAKE_SIZE arm-none-eabi-size CACHE FILEPATH "")
set(CMAKE_OBJCOPY arm-none-eabi-objcopy CACHE FILEPATH "")

# No OS to run a linked test program on: check the compilers with a library.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

# -g only adds debug sections; it changes no code or data size.
set(_amp_common "${AMP_TARGET_ARCH_FLAGS} -Os -g -ffunction-sections -fdata-sections")
set(CMAKE_C_FLAGS_INIT "${_amp_common}")
set(CMAKE_CXX_FLAGS_INIT "${_amp_common} -fno-exceptions -fno-rtti -fno-threadsafe-statics")
set(CMAKE_ASM_FLAGS_INIT "${AMP_TARGET_ARCH_FLAGS}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-Wl,--gc-sections")

set(AMP_TARGET_CPU ${AMP_TARGET_CPU} CACHE STRING "Cortex-M core of this build")
set(AMP_TARGET_QEMU_MACHINE ${AMP_TARGET_QEMU_MACHINE} CACHE STRING "qemu-system-arm -machine for the tests")

# Headers and libraries come from the toolchain's sysroot only.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
