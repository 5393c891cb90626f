gwsync_test(feed_event_test LABEL unit
            SOURCES ${CMAKE_CURRENT_LIST_DIR}/event_test.cc ${CMAKE_CURRENT_LIST_DIR}/broker_test.cc
            LIBS gwsync_feed)

# The change feed against the real RGW and a RabbitMQ of the test's own
# (tools/rabbitmq-start.sh, started and stopped by each test). About 45 s a
# test that syncs: RGW 16.2 picks up a new topic's persistent queue only
# every 30 s.
add_test(NAME feed_e2e COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/feed_test.py)
set_tests_properties(feed_e2e PROPERTIES LABELS "gateway;e2e" TIMEOUT 600)
