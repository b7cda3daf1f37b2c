# Warnings, sanitizers and tuning applied to every target of the project through
# the interface target atelier_compile_options.
add_library(atelier_compile_options INTERFACE)
target_compile_options(atelier_compile_options INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wno-missing-field-initializers>)
if(ATELIER_WERROR)
  target_compile_options(atelier_compile_options INTERFACE $<$<COMPILE_LANGUAGE:CXX>:-Werror>)
endif()
if(ATELIER_NATIVE)
  target_compile_options(atelier_compile_options INTERFACE $<$<COMPILE_LANGUAGE:CXX>:-march=native>)
endif()

if(ATELIER_SANITIZE)
  string(REPLACE "," ";" _atelier_sanitizers "${ATELIER_SANITIZE}")
  foreach(_san IN LISTS _atelier_sanitizers)
    if(NOT _san MATCHES "^(address|undefined|thread|leak)$")
      message(FATAL_ERROR "ATELIER_SANITIZE: unknown sanitizer '${_san}'")
    endif()
  endforeach()
  string(REPLACE ";" "," _atelier_san_flag "${_atelier_sanitizers}")
  # Applied globally so that every object, test and fuzz target agrees on the runtime.
  add_compile_options($<$<COMPILE_LANGUAGE:CXX>:-fsanitize=${_atelier_san_flag}>
                      $<$<COMPILE_LANGUAGE:CXX>:-fno-omit-frame-pointer>
                      $<$<COMPILE_LANGUAGE:CXX>:-fno-sanitize-recover=all>)
  add_link_options(-fsanitize=${_atelier_san_flag})
  # GCC's manual warns that the sanitizers raise the rate of false -Wmaybe-uninitialized
  # warnings: at -O1 it flags libstdc++'s own std::regex. The unsanitized build keeps the
  # warning, as an error.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(atelier_compile_options INTERFACE
      $<$<COMPILE_LANGUAGE:CXX>:-Wno-maybe-uninitialized>)
  endif()
endif()

if(ATELIER_FUZZ)
  # Coverage instrumentation for the libraries the fuzz targets exercise.
  add_compile_options($<$<COMPILE_LANGUAGE:CXX>:-fsanitize=fuzzer-no-link,address,undefined>)
  add_link_options(-fsanitize=address,undefined)
endif()

# ATELIER_UNITY_BUILD: the library and CLI targets compile their sources in batches. Each source
# keeps its helpers in its own anonymous namespace under a name no other source of the target
# uses, so batching never changes which function a call reaches.
function(atelier_unity_build target)
  if(ATELIER_UNITY_BUILD)
    set_target_properties(${target} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 8)
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
      # A type from one source's anonymous namespace used by a class of the same source is fine;
      # GCC warns because the batch, not the source, is the main file.
      target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-Wno-subobject-linkage>)
    endif()
  endif()
endfunction()
