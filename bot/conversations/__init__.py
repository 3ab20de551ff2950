"""Multi-step conversations (ConversationHandler), one module per flow."""
