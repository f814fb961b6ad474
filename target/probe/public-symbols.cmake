# Writes OUT, a linker script fragment naming in EXTERN() every strong global
# symbol (nm types T, D, B, R) that the archive LIB defines, except in the
# members listed in EXCLUDE (e.g. "loopback.cpp.obj,shm_link.cpp.obj"). The
# linker treats EXTERN symbols like -u options: as roots --gc-sections keeps.
# Usage: cmake -DNM=... -DLIB=libamp.a -DOUT=file.ld [-DEXCLUDE=...] -P public-symbols.cmake
cmake_minimum_required(VERSION 3.20)
execute_process(COMMAND ${NM} -g --defined-only ${LIB}
                OUTPUT_VARIABLE nm_out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${NM} failed on ${LIB}")
endif()
string(REPLACE "," ";" EXCLUDE "${EXCLUDE}")
string(REPLACE ";" "\\;" nm_out "${nm_out}")
string(REPLACE "\n" ";" lines "${nm_out}")
set(symbols "")
set(member "")
foreach(line IN LISTS lines)
  if(line MATCHES "^(.+):$")
    set(member "${CMAKE_MATCH_1}")  # "wire.cpp.obj:" starts a member's list
  elseif(line MATCHES "^[0-9a-fA-F]+ [TDBR] (.+)$" AND NOT member IN_LIST EXCLUDE)
    list(APPEND symbols "${CMAKE_MATCH_1}")
  endif()
endforeach()
list(REMOVE_DUPLICATES symbols)
list(SORT symbols)
list(LENGTH symbols count)
set(text "/* Generated from ${LIB}: ${count} public symbols")
if(EXCLUDE)
  string(REPLACE ";" " " excluded "${EXCLUDE}")
  string(STRIP "${excluded}" excluded)
  string(APPEND text ", none from ${excluded}")
endif()
string(APPEND text ". */\nEXTERN(\n")
foreach(sym IN LISTS symbols)
  string(APPEND text "  \"${sym}\"\n")
endforeach()
string(APPEND text ")\n")
# Rewritten only when the list changes, so the probe relinks only then.
file(WRITE ${OUT}.tmp "${text}")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different ${OUT}.tmp ${OUT})
file(REMOVE ${OUT}.tmp)
