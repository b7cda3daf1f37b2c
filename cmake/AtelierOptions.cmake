# Build options. Defaults give a portable release build: no -march=native; CPU kernels pick
# their instruction set at run time.
set(ATELIER_CUDA "AUTO" CACHE STRING "Build the CUDA backend: AUTO (when nvcc is found), ON or OFF")
set_property(CACHE ATELIER_CUDA PROPERTY STRINGS AUTO ON OFF)
set(ATELIER_SANITIZE "" CACHE STRING
  "Sanitizers to build with, comma-separated: address,undefined (empty for none)")
option(ATELIER_WERROR "Treat compiler warnings as errors (CI turns this on)" OFF)
option(ATELIER_BUILD_TESTS "Build the test suite" ON)
option(ATELIER_BUILD_UI "Build the desktop application and its widgets (OFF: libraries, atelier-cli, plugins and their tests)" ON)
option(ATELIER_BUILD_BENCHMARKS "Build the benchmark programs (tests/bench; no test needs them)" ON)
option(ATELIER_FUZZ "Build libFuzzer targets (needs clang)" OFF)
option(ATELIER_NATIVE "Tune for this machine (-march=native); never for packages" OFF)
option(ATELIER_CCACHE "Compile through ccache when it is installed" ON)
if(ATELIER_CCACHE)
  find_program(ATELIER_CCACHE_PROGRAM ccache)
  if(ATELIER_CCACHE_PROGRAM)
    set(CMAKE_C_COMPILER_LAUNCHER "${ATELIER_CCACHE_PROGRAM}")
    set(CMAKE_CXX_COMPILER_LAUNCHER "${ATELIER_CCACHE_PROGRAM}")
    set(CMAKE_CUDA_COMPILER_LAUNCHER "${ATELIER_CCACHE_PROGRAM}")
  endif()
endif()
option(ATELIER_UNITY_BUILD
  "Compile the base, engine, agents and atelier-cli sources in batches of 8 (unity build): a cold build in about half the time, at the cost of recompiling a whole batch after an edit. CI's sanitizer and fuzz builds use it; the README's build does not, so that a missing #include still shows"
  OFF)
