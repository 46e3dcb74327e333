# chunksim_add_glue(NAME SOURCES file.c... [DEFINES NAME=VALUE...])
# (chunksim_add_firmware(), for a firmware with its own SDK, is below.)
#
# Builds your async glue as lib<NAME>.so, the shared object that
# `chunksim run --glue lib<NAME>.so SCENARIO...` loads and runs in place of
# chunksim's own async read core (the contract: sim/include/chunksim/board.h).
# It needs chunksim's headers only, no chunksim library:
#
#   include(<chunksim>/cmake/ChunksimGlue.cmake)
#   chunksim_add_glue(myglue SOURCES myglue.c)
#
# which is the same as the one-line compile
#
#   cc -shared -fPIC -I<chunksim>/sim/include -I<chunksim>/core/include myglue.c -o libmyglue.so
get_filename_component(CHUNKSIM_GLUE_ROOT "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)
set_property(GLOBAL PROPERTY CHUNKSIM_GLUE_ROOT "${CHUNKSIM_GLUE_ROOT}")

function(chunksim_add_glue name)
  cmake_parse_arguments(G "" "" "SOURCES;DEFINES" ${ARGN})
  if(NOT G_SOURCES)
    message(FATAL_ERROR "chunksim_add_glue(${name}): no SOURCES given")
  endif()
  get_property(root GLOBAL PROPERTY CHUNKSIM_GLUE_ROOT)
  # MODULE: a plugin that is only ever dlopen()ed, never linked against.
  add_library(${name} MODULE ${G_SOURCES})
  target_include_directories(${name} PRIVATE ${root}/sim/include ${root}/core/include)
  target_compile_definitions(${name} PRIVATE ${G_DEFINES})
  set_target_properties(${name} PROPERTIES PREFIX "lib" SUFFIX ".so" C_STANDARD 11
                                           POSITION_INDEPENDENT_CODE ON)
endfunction()

# chunksim_add_firmware(NAME SDK_DIR <dir> SOURCES <port .c files>...
#                       [INCLUDE_DIRECTORIES <dir>...] [COMPILE_DEFINITIONS <def>...])
#
# Builds your firmware as lib<NAME>.so: the Memfault SDK's packetizer path
# from your own copy of the SDK (SDK_DIR, unchanged) with your port and its
# board mapping (SOURCES), which `chunksim run --glue lib<NAME>.so` then runs
# with the SDK's packetizer in place of chunksim's (sim/include/chunksim/
# firmware.h). The SDK files, as the SDK names them:
#
#   components/core/src/memfault_data_packetizer.c   the packetizer
#   components/core/src/memfault_data_source_rle.c   RLE, when your config enables it
#   components/util/src/memfault_chunk_transport.c   chunks
#   components/util/src/memfault_varint.c
#   components/util/src/memfault_crc16_ccitt.c
#   components/util/src/memfault_rle.c
#   components/panics/src/memfault_coredump.c        the coredump data source
#
# Headers: INCLUDE_DIRECTORIES (your memfault_platform_config.h and the
# other configs, your port's), then the SDK's components/include and
# ports/include, then chunksim's sim/include (chunksim/board.h, plain C
# types). chunksim's own memfault/ headers are not on the path: the SDK's are
# the ones used. The link wraps the coredump storage functions so that
# chunksim sees every call the packetizer makes (-Wl,--wrap, plus
# sim/firmware/shim.c) and binds lazily, so that a function your port
# references but the simulation never calls (a crash-time path, logging)
# need not exist; a variable it uses (a linker script's symbol) must, and
# the build fails naming every one that is missing
# (sim/firmware/check-undefined.sh). tools/build-firmware.sh is the same
# build without CMake.
function(chunksim_add_firmware name)
  cmake_parse_arguments(F "" "SDK_DIR" "SOURCES;INCLUDE_DIRECTORIES;COMPILE_DEFINITIONS" ${ARGN})
  if(NOT F_SDK_DIR OR NOT F_SOURCES)
    message(FATAL_ERROR "chunksim_add_firmware(${name}): SDK_DIR and SOURCES are required")
  endif()
  get_filename_component(sdk "${F_SDK_DIR}" ABSOLUTE)
  set(sdk_files
    components/core/src/memfault_data_packetizer.c
    components/core/src/memfault_data_source_rle.c
    components/util/src/memfault_chunk_transport.c
    components/util/src/memfault_varint.c
    components/util/src/memfault_crc16_ccitt.c
    components/util/src/memfault_rle.c)
  set(coredump_file components/panics/src/memfault_coredump.c)
  set(wrapped
    memfault_platform_coredump_storage_get_info
    memfault_platform_coredump_storage_read
    memfault_platform_coredump_storage_clear
    memfault_coredump_read)
  set(sdk_sources)
  foreach(file ${sdk_files} ${coredump_file})
    if(NOT EXISTS "${sdk}/${file}")
      message(FATAL_ERROR "chunksim_add_firmware(${name}): SDK_DIR ${sdk} has no ${file}: "
                          "is it a copy of the Memfault firmware SDK?")
    endif()
    list(APPEND sdk_sources "${sdk}/${file}")
  endforeach()
  list(REMOVE_ITEM sdk_sources "${sdk}/${coredump_file}")
  get_property(root GLOBAL PROPERTY CHUNKSIM_GLUE_ROOT)
  # The SDK's coredump file on its own: its memfault_coredump_read is
  # interposed where it is defined (sim/firmware/interpose.sh).
  add_library(${name}_sdk_coredump OBJECT "${sdk}/${coredump_file}")
  target_compile_options(${name}_sdk_coredump PRIVATE -ffunction-sections)
  set(interposed "${CMAKE_CURRENT_BINARY_DIR}/${name}_memfault_coredump.o")
  add_custom_command(OUTPUT "${interposed}"
    COMMAND ${CMAKE_COMMAND} -E env OBJCOPY=${CMAKE_OBJCOPY} NM=${CMAKE_NM}
            ${root}/sim/firmware/interpose.sh $<TARGET_OBJECTS:${name}_sdk_coredump> "${interposed}"
    DEPENDS ${name}_sdk_coredump $<TARGET_OBJECTS:${name}_sdk_coredump> ${root}/sim/firmware/interpose.sh
    VERBATIM)
  add_library(${name} MODULE ${sdk_sources} "${interposed}" ${F_SOURCES}
                             ${root}/sim/firmware/shim.c ${root}/sim/firmware/sdk_version.c)
  set(sdk_includes "${sdk}/components/include")
  if(EXISTS "${sdk}/ports/include")
    list(APPEND sdk_includes "${sdk}/ports/include")
  endif()
  foreach(target ${name} ${name}_sdk_coredump)
    target_include_directories(${target} PRIVATE ${F_INCLUDE_DIRECTORIES} ${sdk_includes}
                                                 ${root}/sim/include)
    # The SDK's own switch for building its files on a host: without it
    # memfault_coredump.c stops at "Coredumps are not supported for target
    # architecture". It touches crash-time code only (machine type, PC/LR capture).
    target_compile_definitions(${target} PRIVATE ${F_COMPILE_DEFINITIONS} MEMFAULT_UNITTEST)
  endforeach()
  set_target_properties(${name}_sdk_coredump PROPERTIES POSITION_INDEPENDENT_CODE ON)
  set(wraps)
  foreach(fn ${wrapped})
    list(APPEND wraps "-Wl,--wrap=${fn}")
  endforeach()
  target_link_options(${name} PRIVATE ${wraps} -Wl,-z,lazy)
  # A variable the object uses but nothing defines stops every load: name them all now.
  add_custom_command(TARGET ${name} POST_BUILD
    COMMAND ${CMAKE_COMMAND} -E env NM=${CMAKE_NM} READELF=${CMAKE_READELF}
            ${root}/sim/firmware/check-undefined.sh $<TARGET_FILE:${name}>
    VERBATIM)
  set_target_properties(${name} PROPERTIES PREFIX "lib" SUFFIX ".so" POSITION_INDEPENDENT_CODE ON)
endfunction()
