"""Who is who: accounts and sign-in, who may see and do what, class rosters,
throttles, consent to publication, pseudonyms and retention."""
