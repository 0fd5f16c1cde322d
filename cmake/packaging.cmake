# Debian packages, with CPack's DEB generator: tributary-agent and tributary-collector, one
# component each (packaging/README.md).
#
#   cmake --build build && (cd build && cpack)          → build/packages/*.deb
#
# A cross build (cmake/toolchains/) packages for its target architecture. Runtime Depends come
# from dpkg-shlibdeps, which reads the dpkg database: it works natively and for multiarch
# libraries (:arm64 installed beside amd64); a sysroot build (armhf here) lists them itself
# (TRIB_DEB_SHLIBDEPS=OFF, its default there; TRIB_DEB_DEPENDS_* below).

include(GNUInstallDirs)

set(_pkg ${PROJECT_SOURCE_DIR}/packaging)
set(_components)
foreach(c agent collector)
  if(NOT TARGET tributary-${c})
    continue()
  endif()
  list(APPEND _components ${c})
  install(TARGETS tributary-${c} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT ${c})
  # Absolute: Debian 12's units live in /lib/systemd/system (merged /usr aliases it) and the
  # configuration in /etc, whatever the prefix.
  install(FILES ${_pkg}/systemd/tributary-${c}.service DESTINATION /lib/systemd/system COMPONENT ${c})
  install(FILES ${_pkg}/config/${c}.json DESTINATION /etc/tributary COMPONENT ${c})
  # Debian installs man pages gzip'd (-n: no name or time stamp, so the package is reproducible).
  set(_man ${_pkg}/man/tributary-${c}.8)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_man})
  execute_process(COMMAND gzip -9nc ${_man} OUTPUT_FILE ${CMAKE_BINARY_DIR}/tributary-${c}.8.gz
                  COMMAND_ERROR_IS_FATAL ANY)
  install(FILES ${CMAKE_BINARY_DIR}/tributary-${c}.8.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man8
          COMPONENT ${c})
  install(FILES ${_pkg}/debian/copyright ${PROJECT_SOURCE_DIR}/${c}/README.md
          DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/tributary-${c} COMPONENT ${c})
endforeach()
# The documents the agent's man page and README point to.
if("agent" IN_LIST _components)
  install(FILES ${PROJECT_SOURCE_DIR}/docs/raspberry-pi.md ${PROJECT_SOURCE_DIR}/docs/agent-delivery.md
                ${PROJECT_SOURCE_DIR}/docs/agent-spool.md ${PROJECT_SOURCE_DIR}/docs/mqtt.md
          DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/tributary-agent COMPONENT agent)
endif()
if("collector" IN_LIST _components)
  install(FILES ${PROJECT_SOURCE_DIR}/docs/storage.md ${PROJECT_SOURCE_DIR}/docs/mqtt.md
          DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/tributary-collector COMPONENT collector)
endif()

# The Debian architecture: the target's when cross building (the toolchain's multiarch triplet).
if(CMAKE_CROSSCOMPILING)
  if(CMAKE_LIBRARY_ARCHITECTURE STREQUAL "aarch64-linux-gnu")
    set(_deb_arch arm64)
  elseif(CMAKE_LIBRARY_ARCHITECTURE STREQUAL "arm-linux-gnueabihf")
    set(_deb_arch armhf)
  else()
    message(FATAL_ERROR "packaging: no Debian architecture known for '${CMAKE_LIBRARY_ARCHITECTURE}'")
  endif()
else()
  execute_process(COMMAND dpkg --print-architecture OUTPUT_VARIABLE _deb_arch
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
endif()

# dpkg-shlibdeps asks the dpkg database which package holds each library: a sysroot's libraries
# (the armhf build's, cmake/toolchains/) are in no database, so such a build lists them itself.
if(CMAKE_SYSROOT)
  set(_shlibdeps_default OFF)
else()
  set(_shlibdeps_default ON)
endif()
option(TRIB_DEB_SHLIBDEPS "Compute the packages' library Depends with dpkg-shlibdeps" ${_shlibdeps_default})
# Used with TRIB_DEB_SHLIBDEPS=OFF: what dpkg-shlibdeps finds for a native bookworm build
# (tests/packaging checks that the two agree).
set(TRIB_DEB_DEPENDS_COMMON
    "libc6 (>= 2.34), libgcc-s1 (>= 3.0), liblmdb0 (>= 0.9.7), libpaho-mqtt1.3 (>= 1.3.0), libpaho-mqttpp3-1 (>= 1.2.0), libsimdjson14 (>= 2.0.1), libssl3 (>= 3.0.0), libstdc++6 (>= 12), libzstd1 (>= 1.5.2), zlib1g (>= 1:1.1.4)"
    CACHE STRING "Library Depends of both packages without dpkg-shlibdeps")
set(TRIB_DEB_DEPENDS_AGENT "libcpprest2.10 (>= 2.10.18), libpcre2-8-0 (>= 10.22)"
    CACHE STRING "Library Depends of tributary-agent alone without dpkg-shlibdeps")
set(TRIB_DEB_DEPENDS_COLLECTOR ""
    CACHE STRING "Library Depends of tributary-collector alone without dpkg-shlibdeps")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME tributary)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "The Tributary authors")
set(CPACK_PACKAGE_CONTACT "Tributary maintainers <tributary@localhost>")
set(CPACK_PACKAGE_DIRECTORY ${CMAKE_BINARY_DIR}/packages)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)  # the build is RelWithDebInfo; a device wants the small binary
set(CPACK_COMPONENTS_ALL ${_components})
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # tributary-agent_0.1.0_arm64.deb
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE ${_deb_arch})
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/tributary/tributary")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ${TRIB_DEB_SHLIBDEPS})
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS OFF)

set(_scripts postinst prerm postrm conffiles)
foreach(c ${_components})
  string(TOUPPER ${c} C)
  set(CPACK_DEBIAN_${C}_PACKAGE_NAME tributary-${c})
  set(CPACK_DEBIAN_${C}_FILE_NAME DEB-DEFAULT)
  set(_extra)
  foreach(s ${_scripts})
    list(APPEND _extra ${_pkg}/debian/${c}/${s})
  endforeach()
  set(CPACK_DEBIAN_${C}_PACKAGE_CONTROL_EXTRA ${_extra})
  set(CPACK_DEBIAN_${C}_PACKAGE_CONTROL_STRICT_PERMISSION ON)
  # adduser for the system user; init-system-helpers for deb-systemd-helper/-invoke.
  set(_depends "adduser, init-system-helpers (>= 1.54~)")
  if(NOT TRIB_DEB_SHLIBDEPS)
    string(APPEND _depends ", ${TRIB_DEB_DEPENDS_COMMON}")
    if(TRIB_DEB_DEPENDS_${C})
      string(APPEND _depends ", ${TRIB_DEB_DEPENDS_${C}}")
    endif()
  endif()
  set(CPACK_DEBIAN_${C}_PACKAGE_DEPENDS "${_depends}")
endforeach()
set(CPACK_DEBIAN_AGENT_PACKAGE_SECTION admin)
set(CPACK_COMPONENT_AGENT_DESCRIPTION
"edge agent shipping log files and metrics to Kinesis or a Tributary collector
 tributary-agent tails application log files and collects system metrics on
 Raspberry Pis and other small Linux devices, keeps them in a durable LMDB spool
 and ships them exactly once over HTTPS (the Kinesis and Firehose APIs, SigV4)
 or through an MQTT 5 broker. It reads an AWS Kinesis Agent agent.json as it is.")
set(CPACK_DEBIAN_AGENT_PACKAGE_RECOMMENDS "")
set(CPACK_DEBIAN_AGENT_PACKAGE_SUGGESTS "tributary-collector, mosquitto-clients")
set(CPACK_COMPONENT_COLLECTOR_DESCRIPTION
"self-hosted Kinesis Data Streams store and MQTT ingest for device fleets
 tributary-collector keeps streams and shards in a durable LMDB store and speaks
 the AWS Kinesis Data Streams wire protocol, so the AWS CLI, boto3 and the AWS
 SDKs work against it unchanged. It also takes batches from tributary-agent
 through an MQTT 5 broker such as Mosquitto, storing each exactly once.")
set(CPACK_DEBIAN_COLLECTOR_PACKAGE_SUGGESTS "mosquitto, awscli")

include(CPack)
