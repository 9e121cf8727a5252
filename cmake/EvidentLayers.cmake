# The layers of evident as CMake libraries (docs/architecture.md). Each layer is one library that
# links only the layers beneath it, and sees only their headers: the build gives each layer an
# include root holding its own headers and those of the layers it may use, so an #include that
# points up the stack does not compile.
#
#   evident_layer(NAME USES lower layers... SOURCES ... [PRIVATE_LINKS targets...])
#
# Public headers are include/evident/NAME/*.hpp, included as "evident/NAME/x.hpp"; internal
# headers are src/NAME/*.hpp, included as "NAME/x.hpp" by the layer and by the layers above it
# (in the build tree only: they are not installed).

set(EVIDENT_LAYER_DIR ${PROJECT_BINARY_DIR}/layers)

# A symbolic link `link` to `target`, replacing whatever was there.
function(evident_link target link)
  file(REMOVE ${link})
  file(CREATE_LINK ${target} ${link} SYMBOLIC)
endfunction()

function(evident_layer name)
  cmake_parse_arguments(L "" "" "USES;SOURCES;PRIVATE_LINKS" ${ARGN})
  # The layer's own include roots: <root>/public/evident/NAME -> include/evident/NAME and
  # <root>/internal/NAME -> src/NAME (symbolic links, so edits need no reconfigure).
  set(root ${EVIDENT_LAYER_DIR}/${name})
  file(MAKE_DIRECTORY ${root}/public/evident ${root}/internal)
  if(EXISTS ${PROJECT_SOURCE_DIR}/include/evident/${name})
    evident_link(${PROJECT_SOURCE_DIR}/include/evident/${name} ${root}/public/evident/${name})
  endif()
  evident_link(${PROJECT_SOURCE_DIR}/src/${name} ${root}/internal/${name})

  add_library(evident_${name} ${L_SOURCES})
  add_library(evident::${name} ALIAS evident_${name})
  set_target_properties(evident_${name} PROPERTIES
    OUTPUT_NAME evident_${name}
    POSITION_INDEPENDENT_CODE ON  # the Python module and other shared objects link it
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    EXPORT_NAME ${name})
  target_include_directories(evident_${name}
    PUBLIC $<BUILD_INTERFACE:${root}/public> $<BUILD_INTERFACE:${root}/internal>
           $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  set(uses "")
  foreach(lower IN LISTS L_USES)
    list(APPEND uses evident_${lower})
  endforeach()
  target_link_libraries(evident_${name} PUBLIC ${uses} PRIVATE ${L_PRIVATE_LINKS})
  evident_set_warnings(evident_${name})
  set_property(GLOBAL APPEND PROPERTY EVIDENT_LAYERS evident_${name})
endfunction()
