# Install and export rules: `cmake --install BUILD --prefix P` puts the libraries, the public
# headers and a CMake package config under P, so another project finds evident with
#   find_package(evident REQUIRED)
#   target_link_libraries(app PRIVATE evident::core)      # or evident::report, evident::evident
# (tests/package is such a project; CI builds it against an installed copy).
include(CMakePackageConfigHelpers)

get_property(layers GLOBAL PROPERTY EVIDENT_LAYERS)
install(TARGETS ${layers} evident_core evident_all EXPORT evidentTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS evident RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY include/evident DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.hpp")
install(FILES ${PROJECT_BINARY_DIR}/generated/evident/version.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/evident)

set(config_dir ${CMAKE_INSTALL_LIBDIR}/cmake/evident)
install(EXPORT evidentTargets NAMESPACE evident:: DESTINATION ${config_dir})
configure_package_config_file(cmake/evidentConfig.cmake.in
  ${PROJECT_BINARY_DIR}/evidentConfig.cmake INSTALL_DESTINATION ${config_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/evidentConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/evidentConfig.cmake
              ${PROJECT_BINARY_DIR}/evidentConfigVersion.cmake
        DESTINATION ${config_dir})
