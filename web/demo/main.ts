import './style.css';

const status = document.getElementById('status');
if (status) status.textContent = 'connecting';
