"""The Alliance's own records beside the exchanges: MOUs and training."""
