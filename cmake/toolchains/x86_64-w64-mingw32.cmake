# Cross build for windows-x86_64 with Debian's mingw-w64; tests run under wine64 when it works.
#   cmake --preset windows-x86_64-mingw && cmake --build --preset windows-x86_64-mingw
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER x86_64-w64-mingw32-gcc)
set(CMAKE_RC_COMPILER x86_64-w64-mingw32-windres)
set(CMAKE_FIND_ROOT_PATH /usr/x86_64-w64-mingw32)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
# Debian's wine64 package puts the loader under /usr/lib/wine, not on PATH
find_program(STN4J_WINE64 NAMES wine64 PATHS /usr/lib/wine NO_DEFAULT_PATH)
find_program(STN4J_WINE64 NAMES wine64 wine)
if(STN4J_WINE64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${STN4J_WINE64})
endif()
