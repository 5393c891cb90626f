gwsync_test(util_unit_test LABEL unit
            SOURCES ${CMAKE_CURRENT_LIST_DIR}/printable_test.cc ${CMAKE_CURRENT_LIST_DIR}/workers_test.cc
                    ${CMAKE_CURRENT_LIST_DIR}/interrupt_test.cc ${CMAKE_CURRENT_LIST_DIR}/slots_test.cc
                    ${CMAKE_CURRENT_LIST_DIR}/caller_loop_test.cc
            LIBS gwsync_util)
