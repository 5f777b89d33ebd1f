DROP TABLE staff_phones;
DROP TABLE phone_logins;
DROP TABLE sign_in_requests;
DROP TABLE sign_in_codes;
