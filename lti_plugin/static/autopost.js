// Submits the form that returns Rapport's answer to the platform (the button stays for no-JS use).
document.getElementById("autopost").submit();
