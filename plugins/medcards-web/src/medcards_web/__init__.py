"""medcards serve: study, calendar, angles and dashboard in the browser."""
