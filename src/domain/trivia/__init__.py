"""Trivia: the Simple Trivia Service's quizzes, games, progress, wallet and marketplace."""
