# strixd itself (included from src/server/CMakeLists.txt, after http/): config, wiring.
add_library(strix_server_config config.cc)
target_link_libraries(strix_server_config PUBLIC strix_storage strix_core)
strix_test(server_config_test SOURCES config_test.cc DEPS strix_server_config)
strix_fuzz(strixd_config SOURCES config_fuzz.cc DEPS strix_server_config)

add_library(strix_server strixd.cc)
target_link_libraries(strix_server PUBLIC strix_server_config strix_api strix_server_http)

add_executable(strixd main.cc)
target_link_libraries(strixd PRIVATE strix_server CLI11::CLI11)
