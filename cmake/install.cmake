# Installing evnode: headers, the library, the CLI and its man page, a CMake package
# (`find_package(evnode)` -> evnode::evnode) and a pkg-config file (`pkg-config evnode`), and
# the Debian package `make deb` builds from them with CPack.
include(CMakePackageConfigHelpers)

set(EVNODE_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/evnode)

install(TARGETS evnode EXPORT evnodeTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/evnode DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h")
install(FILES ${PROJECT_BINARY_DIR}/include/evnode/version.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/evnode)
if(EVNODE_BUILD_CLI)
  if(BUILD_SHARED_LIBS)
    # The installed CLI finds the shared libevnode in its own prefix, wherever that is
    # (PREFIX/bin/../lib), without LD_LIBRARY_PATH or ldconfig.
    file(RELATIVE_PATH _evnode_bin_to_lib /p/${CMAKE_INSTALL_BINDIR} /p/${CMAKE_INSTALL_LIBDIR})
    set_target_properties(evnode_cli PROPERTIES INSTALL_RPATH "$ORIGIN/${_evnode_bin_to_lib}")
  endif()
  install(TARGETS evnode_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  install(FILES ${PROJECT_SOURCE_DIR}/docs/evnode.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endif()

install(EXPORT evnodeTargets NAMESPACE evnode:: DESTINATION ${EVNODE_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/evnodeConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/evnodeConfig.cmake
                              INSTALL_DESTINATION ${EVNODE_CMAKE_DIR})
# 0.x: a minor release may change the API, so only the same minor version is compatible.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/evnodeConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/evnodeConfig.cmake
              ${PROJECT_BINARY_DIR}/evnodeConfigVersion.cmake
        DESTINATION ${EVNODE_CMAKE_DIR})

# pkg-config, relocatable (the prefix is found from the .pc file's own place, so
# `cmake --install --prefix P` needs no reconfigure). A static libevnode needs its
# dependencies on every link line, a shared one only its own.
file(RELATIVE_PATH EVNODE_PC_PREFIX /p/${CMAKE_INSTALL_LIBDIR}/pkgconfig /p)
if(BUILD_SHARED_LIBS)
  set(EVNODE_PC_REQUIRES Requires.private)
else()
  set(EVNODE_PC_REQUIRES Requires)
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/evnode.pc.in ${PROJECT_BINARY_DIR}/evnode.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/evnode.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# `make deb`: one package with the library, headers, CMake and pkg-config files, and the CLI.
# The CLI's run-time libraries come from dpkg-shlibdeps; building against libevnode.a needs the
# development packages of its dependencies.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME evnode)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "evnode maintainers <evnode@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_DESCRIPTION
    "Node.js's networking API (event loop, streams, net, http, https, tls, dgram, dns)\n"
    "as a C++20 library, with the evnode command-line tool.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "libuv1-dev, libc-ares-dev, libssl-dev (>= 3), libidn2-dev, zlib1g-dev, pkg-config")
set(CPACK_PACKAGE_INSTALL_DIRECTORY evnode)
set(CPACK_SET_DESTDIR OFF)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
include(CPack)
