gwsync_test(fileio_unit_test LABEL unit
            SOURCES ${CMAKE_CURRENT_LIST_DIR}/beneath_test.cc ${CMAKE_CURRENT_LIST_DIR}/errno_status_test.cc
                    ${CMAKE_CURRENT_LIST_DIR}/files_test.cc
            LIBS gwsync_fileio)
