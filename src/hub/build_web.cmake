# cmake -DNPM=/usr/bin/npm -DWEB_DIR=web -DOUT_DIR=dir -DSTAMP=file -P build_web.cmake
#
# Builds the web app (`npm run build`: tsc, then Vite) into OUT_DIR and touches STAMP. The npm
# packages come from `npm ci` in scripts/install-deps, never from here: a build does not reach
# the network. The compiler's output is shown only when the build fails.
foreach(var NPM WEB_DIR OUT_DIR STAMP)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "build_web.cmake: -D${var}=... is required")
  endif()
endforeach()

if(NOT EXISTS "${WEB_DIR}/node_modules/.package-lock.json")
  message(FATAL_ERROR "${WEB_DIR}/node_modules is missing: run scripts/install-deps (it runs `npm ci` there), "
                      "or configure with -DLATCHKEY_WEB=OFF for a hub without its web app")
endif()

execute_process(
  COMMAND "${NPM}" run build -- --outDir "${OUT_DIR}" --emptyOutDir
  WORKING_DIRECTORY "${WEB_DIR}"
  RESULT_VARIABLE result
  OUTPUT_VARIABLE output
  ERROR_VARIABLE output)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "The web app did not build (npm run build in ${WEB_DIR}: ${result}):\n${output}")
endif()
file(TOUCH "${STAMP}")
