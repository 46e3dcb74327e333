# chunksim_add_glue(NAME SOURCES file.c... [DEFINES NAME=VALUE...])
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
