// Posts the launch form to Rapport as soon as the page loads (the button stays for no-JS use).
document.getElementById("autopost").submit();
