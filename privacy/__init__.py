"""Personal data: erasure requests applied to every table and to the warehouse file itself."""
