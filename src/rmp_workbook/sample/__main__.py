"""``python -m rmp_workbook.sample OUT_DIR [SEED]`` regenerates the sample folder."""

from rmp_workbook.sample.folder import main

main()
