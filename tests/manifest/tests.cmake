gwsync_test(manifest_unit_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/manifest_test.cc
            ${CMAKE_CURRENT_LIST_DIR}/digest_test.cc LIBS gwsync_manifest gwsync_test_support)
