"""Import of customers and contacts from xlsx, xls, csv and vcf files."""
