"""VanBill's Telegram front end: thin handlers over the services layer."""
