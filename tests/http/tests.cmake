# The curl loop against misbehaving loopback servers: shutdown with work in
# flight or pending, the overall deadline per request, the end of a pass, and
# large bodies handed to their sinks in blocks.
gwsync_test(http_unit_test LABEL unit
            SOURCES ${CMAKE_CURRENT_LIST_DIR}/shutdown_test.cc ${CMAKE_CURRENT_LIST_DIR}/deadline_test.cc
            ${CMAKE_CURRENT_LIST_DIR}/range_test.cc ${CMAKE_CURRENT_LIST_DIR}/pass_test.cc
            ${CMAKE_CURRENT_LIST_DIR}/sink_block_test.cc
            LIBS gwsync_http gwsync_loopback_server)
