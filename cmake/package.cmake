# Installation and the Debian package (tools/package.sh; `cpack -G DEB` in
# the build folder): the binary, a man page and bash and zsh completions
# generated from the binary's own option definitions, example configs and the
# systemd units for nightly jobs.
include(GNUInstallDirs)

# `make install` and cpack build only what they install, not the tests.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

set(GWSYNC_GENERATED ${PROJECT_BINARY_DIR}/generated)
add_custom_command(
  OUTPUT ${GWSYNC_GENERATED}/gwsync.1.gz ${GWSYNC_GENERATED}/gwsync.bash ${GWSYNC_GENERATED}/_gwsync
  COMMAND ${CMAKE_COMMAND} -E make_directory ${GWSYNC_GENERATED}
  COMMAND sh -c "\"$1\" --generate man | gzip -9n > \"$2\"/gwsync.1.gz" sh
          $<TARGET_FILE:gwsync> ${GWSYNC_GENERATED}
  COMMAND sh -c "\"$1\" --generate bash-completion > \"$2\"/gwsync.bash" sh
          $<TARGET_FILE:gwsync> ${GWSYNC_GENERATED}
  COMMAND sh -c "\"$1\" --generate zsh-completion > \"$2\"/_gwsync" sh
          $<TARGET_FILE:gwsync> ${GWSYNC_GENERATED}
  DEPENDS gwsync
  COMMENT "Generating the man page and shell completions from gwsync's options"
  VERBATIM)
add_custom_target(gwsync_docs ALL DEPENDS ${GWSYNC_GENERATED}/gwsync.1.gz
                                          ${GWSYNC_GENERATED}/gwsync.bash ${GWSYNC_GENERATED}/_gwsync)

install(TARGETS gwsync RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${GWSYNC_GENERATED}/gwsync.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${GWSYNC_GENERATED}/gwsync.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME gwsync)
# Debian's zsh reads its packages' completions from vendor-completions.
install(FILES ${GWSYNC_GENERATED}/_gwsync DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/examples/remotes.conf
              ${PROJECT_SOURCE_DIR}/deploy/examples/s3cfg
              ${PROJECT_SOURCE_DIR}/deploy/examples/gwsync-nightly.env
              ${PROJECT_SOURCE_DIR}/deploy/systemd/gwsync.cron
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
# Templates, enabled by no one until an operator says so.
install(FILES ${PROJECT_SOURCE_DIR}/deploy/systemd/gwsync-nightly@.service
              ${PROJECT_SOURCE_DIR}/deploy/systemd/gwsync-nightly@.timer
              ${PROJECT_SOURCE_DIR}/deploy/systemd/gwsync-follow@.service
        DESTINATION lib/systemd/system)
# The folders the nightly guide's setup (docs/guide/nightly.md) and the
# cron line write into before any run could make them: /etc/gwsync for the
# job files (they hold keys: 0750, so a file copied there without -m 600 is
# no one else's to read) and
# /var/log/gwsync for the cron line's log (the service has LogsDirectory=).
# Empty folders of the build tree installed under the names they need.
set(GWSYNC_PACKAGE_DIRS ${PROJECT_BINARY_DIR}/package-dirs)
file(MAKE_DIRECTORY ${GWSYNC_PACKAGE_DIRS}/etc/gwsync ${GWSYNC_PACKAGE_DIRS}/log/gwsync)
install(DIRECTORY ${GWSYNC_PACKAGE_DIRS}/etc/gwsync DESTINATION /etc
        DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE)
install(DIRECTORY ${GWSYNC_PACKAGE_DIRS}/log/gwsync DESTINATION /var/log
        DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                              WORLD_READ WORLD_EXECUTE)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME gwsync)
set(CPACK_PACKAGE_VENDOR gwsync)
set(CPACK_PACKAGE_CONTACT "gwsync maintainers <gwsync@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "fast, gentle, verified sync for S3-compatible gateways (Ceph RGW)")
# One string: two would be a CMake list, and `apt show` would print its ';'.
string(CONCAT CPACK_PACKAGE_DESCRIPTION
       "gwsync backs up and restores buckets of S3-compatible gateways, first of all Ceph's\n"
       "RADOS Gateway: many requests in flight, checked transfers, gentle with the gateway.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "s3cmd, prometheus-node-exporter")
set(CPACK_STRIP_FILES ON)
include(CPack)
