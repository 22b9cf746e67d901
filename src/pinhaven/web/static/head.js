// Runs before first paint: marks the page as scripted so the masonry can hide until it is laid out.
document.documentElement.classList.add("js");
