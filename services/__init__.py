"""VanBill's services layer: every rule and every query lives here; the bot only calls it."""
