# `make package`: a release .deb of latchkey for the build machine's architecture (CPack).
# It holds the stripped `latchkey` binary, the systemd units latchkey-hub.service and
# latchkey-lock@.service, a default /etc/latchkey/hub.toml (a conffile), the man page and the
# README. The maintainer scripts make the `latchkey` system user the units run as.
# tests/package/package_test.sh installs it into a fresh Debian 12 root.

set(LATCHKEY_PACKAGING_DIR ${PROJECT_SOURCE_DIR}/packaging)

install(TARGETS latchkey RUNTIME DESTINATION bin)
install(FILES ${LATCHKEY_PACKAGING_DIR}/latchkey-hub.service ${LATCHKEY_PACKAGING_DIR}/latchkey-lock@.service
        DESTINATION lib/systemd/system)
# Absolute: /etc, whatever the prefix (/usr in the package).
install(FILES ${LATCHKEY_PACKAGING_DIR}/hub.toml DESTINATION /etc/latchkey)

# Debian wants man pages gzipped, reproducibly (-n: no name or time in the header).
set(LATCHKEY_MAN_GZ ${CMAKE_CURRENT_BINARY_DIR}/latchkey.1.gz)
add_custom_command(OUTPUT ${LATCHKEY_MAN_GZ}
                   COMMAND gzip -9n -c ${LATCHKEY_PACKAGING_DIR}/latchkey.1 > ${LATCHKEY_MAN_GZ}
                   DEPENDS ${LATCHKEY_PACKAGING_DIR}/latchkey.1 VERBATIM)
add_custom_target(latchkey_man ALL DEPENDS ${LATCHKEY_MAN_GZ})
add_dependencies(latchkey latchkey_man)  # cpack after building only `latchkey` finds it too
install(FILES ${LATCHKEY_MAN_GZ} DESTINATION share/man/man1)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/integrations.md ${LATCHKEY_PACKAGING_DIR}/copyright
        DESTINATION share/doc/latchkey)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME latchkey)
set(CPACK_PACKAGE_VENDOR "the latchkey developers")
set(CPACK_PACKAGE_CONTACT "latchkey developers <latchkey@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "self-hosted smart door lock system: lock daemon, hub and app")
set(CPACK_PACKAGE_DESCRIPTION
    "latchkey runs a smart door lock without a vendor cloud: the lock daemon decides every access \
from its own store, and the hub serves the REST + WebSocket API and the web app, talking to its \
paired locks over a Noise-encrypted link.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION misc)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Library dependencies from the binary itself (dpkg-shlibdeps), plus what the scripts call.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "passwd, tzdata")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${LATCHKEY_PACKAGING_DIR}/conffiles ${LATCHKEY_PACKAGING_DIR}/postinst ${LATCHKEY_PACKAGING_DIR}/prerm
    ${LATCHKEY_PACKAGING_DIR}/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
